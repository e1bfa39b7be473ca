// Small figures shared by the A/B scripts (startup-ab, summary-steps, statements-ab, decode-ab).

/** This process's CPU time so far (user + system, every thread), in ms. */
export const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** The median of the finite values, NaN when there are none. */
export const median = (xs) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

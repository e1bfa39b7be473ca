/**
 * Durations as people write them: three significant digits in the unit that
 * keeps the number at 1 or more, trailing zeros dropped (`850 ns`, `6.67 µs`,
 * `41.6 µs`, `1.15 ms`, `5 s`), minutes and hours past a minute (`2 min 5 s`,
 * `1 h 3 min`). The one duration formatter of the analyzer: the views, the
 * reports and `otpscope` print durations with it, and the anomaly texts built
 * in SQL use the macro `duration_text`, which gives the same text (tested
 * against each other, test/unit/duration.test.ts).
 *
 * Both work on whole nanoseconds in integer arithmetic (the value rounded half
 * up to three significant digits, then written as a decimal), so the two can
 * agree to the character.
 */
export function formatDuration(ns: number | bigint): string {
  const x = typeof ns === 'bigint' ? Number(ns) : ns;
  if (!Number.isFinite(x)) return String(x);
  const a = Math.round(Math.abs(x));
  return (x < 0 && a > 0 ? '-' : '') + positive(a);
}

const MINUTE = 60e9;
const HOUR = 3600e9;
const UNITS: [number, number, string][] = [
  [1e9, 9, 's'],
  [1e6, 6, 'ms'],
  [1e3, 3, 'µs'],
];

function positive(a: number): string {
  if (a < 1000) return `${a} ns`;
  if (a >= HOUR) {
    const minutes = Math.floor((a + MINUTE / 2) / MINUTE);
    const h = Math.floor(minutes / 60);
    const m = minutes % 60;
    return m === 0 ? `${h} h` : `${h} h ${m} min`;
  }
  if (a >= MINUTE) {
    const seconds = Math.floor((a + 5e8) / 1e9);
    const m = Math.floor(seconds / 60);
    const s = seconds % 60;
    return s === 0 ? `${m} min` : `${m} min ${s} s`;
  }
  // Rounded to three significant digits: a multiple of 10^(digits - 3).
  const q = 10 ** (String(a).length - 3);
  const r = Math.floor((a + q / 2) / q) * q;
  const [u, k, name] = UNITS.find(([unit]) => r >= unit)!;
  const frac = String(r % u)
    .padStart(k, '0')
    .replace(/0+$/, '');
  return `${Math.floor(r / u)}${frac === '' ? '' : `.${frac}`} ${name}`;
}

/**
 * The same text in SQL: `duration_text(ns)` for a number of nanoseconds (any
 * numeric type; NULL gives NULL). Statements that define the macro, in order.
 *
 * A macro's argument is pasted wherever its parameter appears, so a value used
 * many times is bound once through a one-element \`list_transform\` (a lambda's
 * parameter is a reference, not a copy): written with plain parameters the
 * argument was copied ~60 times per \`duration_text\`, and binding and optimizing
 * that tree cost ~15 ms of CPU per use in a query, most of the anomaly
 * statements' time on a small trace.
 */
export const DURATION_MACROS = [
  `CREATE OR REPLACE MACRO duration_power_ten(n) AS ([${Array.from({ length: 19 }, (_, i) => `${10n ** BigInt(i)}`).join(', ')}]::BIGINT[])[n + 1]`,
  `CREATE OR REPLACE MACRO duration_decimal(r, u, k, unit) AS
     (r // u)::VARCHAR || CASE WHEN r % u = 0 THEN '' ELSE '.' || rtrim(lpad((r % u)::VARCHAR, k, '0'), '0') END || ' ' || unit`,
  `CREATE OR REPLACE MACRO duration_sig(r) AS list_transform([r], s -> CASE
     WHEN s >= 1000000000 THEN duration_decimal(s, 1000000000, 9, 's')
     WHEN s >= 1000000 THEN duration_decimal(s, 1000000, 6, 'ms')
     ELSE duration_decimal(s, 1000, 3, 'µs') END)[1]`,
  `CREATE OR REPLACE MACRO duration_abs(a) AS list_transform([a], v -> CASE
     WHEN v < 1000 THEN v::VARCHAR || ' ns'
     WHEN v >= ${HOUR} THEN ((v + ${MINUTE / 2}) // ${MINUTE} // 60)::VARCHAR || ' h'
       || CASE WHEN (v + ${MINUTE / 2}) // ${MINUTE} % 60 = 0 THEN '' ELSE ' ' || ((v + ${MINUTE / 2}) // ${MINUTE} % 60)::VARCHAR || ' min' END
     WHEN v >= ${MINUTE} THEN ((v + 500000000) // 1000000000 // 60)::VARCHAR || ' min'
       || CASE WHEN (v + 500000000) // 1000000000 % 60 = 0 THEN '' ELSE ' ' || ((v + 500000000) // 1000000000 % 60)::VARCHAR || ' s' END
     ELSE list_transform([duration_power_ten(length(v::VARCHAR) - 3)], q -> duration_sig((v + q // 2) // q * q))[1]
     END)[1]`,
  `CREATE OR REPLACE MACRO duration_text(ns) AS
     list_transform([ns], n -> CASE WHEN round(abs(n)) > 0 AND n < 0 THEN '-' ELSE '' END || duration_abs(round(abs(n))::BIGINT))[1]`,
];

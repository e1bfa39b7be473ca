/**
 * Where a `signal` message comes from, for the views that draw messages as
 * lines (the timeline's arrows, the sequence diagram). Such a message
 * (docs/SCHEMA.md `messages` status `signal`: an `:EXIT`, a `:DOWN`, a spawn
 * reply, a node monitor's or a timer's message, ...) has no send: the runtime
 * made it. Most name the process they came from (`from_pid`); for an exit's
 * or a monitor's, what made it is that process's exit, so a view draws it
 * from the sender's exit when the recording holds one at or before the
 * receive, else from the receive's own instant on the sender's lane (an
 * `exit/2` from a live process, a port's exit). A `:noproc` answer (a link or monitor set on a process already gone)
 * is drawn from that exit too: it reports it. Timers and nodes name no
 * process: no line.
 *
 * The rule is SQL, once: `signal_lines` (src/engine/sql/build.ts BUILD_SIGNAL_LINES) holds the signals with a
 * sender and where each starts, built once per load for both views, which must not look for signals in `messages`
 * each time they draw: a filter that let signals through the timeline's arrow query (they have no send time) made a
 * 1M-event trace's tiles a fifth to a half slower, and a join with `processes` in the sequence diagram's query made
 * it 1.4 to 7 times slower. `processes.exited_at` is the time of a process's last `exit` event.
 */

/** How a drawn message came about (a number, so a tile carries it in a typed array). */
export const ORIGIN = {
  /** A send. */
  send: 0,
  /** A signal, drawn from its sender's exit. */
  exit: 1,
  /** A signal whose sender's exit the recording does not hold before it: drawn from the receive's instant. */
  receive: 2,
} as const;
export type Origin = (typeof ORIGIN)[keyof typeof ORIGIN];

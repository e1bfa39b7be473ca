/**
 * Applications that ship with Erlang/OTP, Elixir and Mix, and the recorder's
 * own: their processes are the runtime's, not the user's, and the timeline
 * folds their groups by default.
 */
const SYSTEM = new Set([
  'kernel',
  'stdlib',
  'sasl',
  'compiler',
  'crypto',
  'ssl',
  'public_key',
  'asn1',
  'inets',
  'runtime_tools',
  'tools',
  'observer',
  'os_mon',
  'mnesia',
  'syntax_tools',
  'parsetools',
  'xmerl',
  'elixir',
  'logger',
  'mix',
  'iex',
  'eex',
  'ex_unit',
  'hex',
  'otpscope',
]);

/** An application name (`:my_app`, `my_app`) that is not part of OTP, Elixir or the recorder; null (no application) is not. */
export function isUserApp(app: string | null): boolean {
  if (app === null) return false;
  return !SYSTEM.has(app.replace(/^:/, ''));
}

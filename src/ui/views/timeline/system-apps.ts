/**
 * Applications that ship with Erlang/OTP, Elixir and Mix, and the recorder's
 * own, in two kinds. The runtime's core (the code server, the file server,
 * the logger, Mix, the recorder) is what every node runs and almost never
 * what a user looks for. The services (inets, ssl, mnesia, ssh...) are what a
 * user's code calls: when the recording has no application of the user's (a
 * script exercising an HTTP client, a TLS connection), their processes are
 * the work the user came to see.
 */
const CORE = new Set([
  'kernel',
  'stdlib',
  'sasl',
  'compiler',
  'runtime_tools',
  'tools',
  'observer',
  'debugger',
  'et',
  'wx',
  'reltool',
  'syntax_tools',
  'parsetools',
  'elixir',
  'logger',
  'mix',
  'iex',
  'eex',
  'ex_unit',
  'hex',
  'otpscope',
]);

const SERVICES = new Set([
  'crypto',
  'ssl',
  'public_key',
  'asn1',
  'inets',
  'ftp',
  'tftp',
  'ssh',
  'snmp',
  'diameter',
  'eldap',
  'megaco',
  'odbc',
  'os_mon',
  'mnesia',
  'xmerl',
  'common_test',
]);

/**
 * How much a process's application is the user's work: 0 an application of the user's; 1 no application (a
 * script's process, the node's own) or an OTP service; 2 the runtime's core.
 */
export type AppTier = 0 | 1 | 2;

export function appTier(app: string | null): AppTier {
  if (app === null) return 1;
  const name = app.replace(/^:/, '');
  return CORE.has(name) ? 2 : SERVICES.has(name) ? 1 : 0;
}

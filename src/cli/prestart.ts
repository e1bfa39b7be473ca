/**
 * Run by bin/otpscope.mjs before it loads the bundled CLI: when the command will load files into native DuckDB,
 * the DuckDB thread starts now and loads DuckDB (~0.25 s) while this thread compiles the CLI and reads the
 * inputs (native-thread-node.ts). Imports nothing but that module, the option parser and a look at the inputs' sizes
 * (small inputs get DuckDB's allocator set up for one thread), so a command that needs no thread pays nothing.
 */
import { prestartNativeThread } from '../engine/duckdb/native-thread-node';
import { splitEngineOption } from './engine-option';
import { namesSmallInputs } from './small-input';

/** The commands that load files into an engine. */
const LOADING = new Set(['query', 'summary', 'export', 'check', 'compare', 'report']);

/** Starts the native DuckDB thread if `argv` (the CLI's arguments) is a loading command on the native engine. */
export function prestart(argv: readonly string[]): void {
  const [command, ...args] = argv;
  if (!LOADING.has(command) || args.includes('--help') || args.includes('-h')) return;
  const { rest, engine } = splitEngineOption(args);
  if (engine === 'native') prestartNativeThread({ small: namesSmallInputs(command, rest) });
}

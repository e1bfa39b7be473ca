/**
 * The \`--engine\` option of a command's arguments: its value (the last one given wins; \`native\` when absent,
 * null for an \`--engine\` with no value after it) and the other arguments. Unchecked: main.ts says what is
 * wrong with a value; prestart.ts, which runs before it and imports nothing heavy, only asks whether it is native.
 */
export function splitEngineOption(args: readonly string[]): { rest: string[]; engine: string | null } {
  const rest: string[] = [];
  let engine: string | null = 'native';
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--engine') engine = i + 1 < args.length ? args[++i] : null;
    else if (args[i].startsWith('--engine=')) engine = args[i].slice('--engine='.length);
    else rest.push(args[i]);
  }
  return { rest, engine };
}

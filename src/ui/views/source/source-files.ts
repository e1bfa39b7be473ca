/** The line (1-based) where `fun` is defined, Elixir or Erlang; 0 when not found. */
export function definitionLine(text: string, fun: string, erlang: boolean): number {
  const lines = text.split('\n');
  const esc = fun.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = erlang ? new RegExp(`^'?${esc}'?\\(`) : new RegExp(`^\\s*(def|defp|defmacro|defmacrop)\\s+${esc}[\\s(,]`);
  const i = lines.findIndex((l) => re.test(l));
  return i + 1;
}

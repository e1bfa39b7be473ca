/**
 * Float formatting of the BEAM, reproduced exactly:
 * - Erlang (`io_lib_format:fwrite_g/1`, used by ~p, ~w and float_to_list(F, [short])):
 *   the shortest digits that round-trip, placed in fixed notation unless the
 *   exponent form is shorter, and always in exponent form from 2^53 up.
 * - Elixir 1.14 (`Inspect.Float`): integral values with 1 <= |x| < 1.0e16 print as
 *   `<integer>.0`; everything else as Erlang does.
 * JavaScript's `toExponential()` without an argument yields the same shortest
 * round-trip digits (both pick the closest when several are shortest).
 * Tested against ~1600 floats printed by the real runtime (fixtures/terms/floats.json).
 */

export function formatErlangFloat(x: number): string {
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mantissa, exponent] = Math.abs(x).toExponential().split('e') as [string, string];
  const digits = mantissa.replace('.', '');
  // x = 0.<digits> * 10^place
  const place = Number(exponent) + 1;
  const len = digits.length;
  const sign = x < 0 ? '-' : '';
  if (place === 0) return `${sign}0.${digits}`;
  if (place > 0 && place < len) return `${sign}${digits.slice(0, place)}.${digits.slice(place)}`;
  const exp = String(place - 1);
  const expCost = exp.length + 1 + (len === 1 ? 2 : 1);
  const scientific = `${sign}${digits[0]}.${len === 1 ? '0' : digits.slice(1)}e${exp}`;
  if (place < 0) return 2 - place <= expCost ? `${sign}0.${'0'.repeat(-place)}${digits}` : scientific;
  return Math.abs(x) < 2 ** 53 && place - len + 2 <= expCost ? `${sign}${digits}${'0'.repeat(place - len)}.0` : scientific;
}

export function formatElixirFloat(x: number): string {
  const a = Math.abs(x);
  if (a >= 1 && a < 1e16 && Number.isInteger(a)) return `${x < 0 ? '-' : ''}${a.toFixed(0)}.0`;
  return formatErlangFloat(x);
}

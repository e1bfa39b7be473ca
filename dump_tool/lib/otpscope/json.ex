defmodule Otpscope.JSON do
  @moduledoc false
  # Just enough JSON for manifest.json and totals.json (stdlib only: Elixir 1.14
  # has no JSON module). Map keys keep their insertion order when given as a
  # keyword-like list of pairs: `{:object, [{"k", v}, ...]}`.

  def encode(term), do: IO.iodata_to_binary(value(term))

  defp value(nil), do: "null"
  defp value(true), do: "true"
  defp value(false), do: "false"
  defp value(n) when is_integer(n), do: Integer.to_string(n)
  defp value(f) when is_float(f), do: :erlang.float_to_binary(f, [:short])
  defp value(a) when is_atom(a), do: string(Atom.to_string(a))
  defp value(s) when is_binary(s), do: string(s)
  defp value({:object, pairs}), do: object(pairs)
  defp value(m) when is_map(m), do: object(Enum.sort_by(m, fn {k, _} -> to_string(k) end))
  defp value(l) when is_list(l), do: ["[", Enum.map_intersperse(l, ",", &value/1), "]"]

  defp object(pairs) do
    [
      "{",
      Enum.map_intersperse(pairs, ",", fn {k, v} -> [string(to_string(k)), ":", value(v)] end),
      "}"
    ]
  end

  defp string(s) do
    escaped =
      for <<c::utf8 <- s>>, into: "" do
        case c do
          ?" -> "\\\""
          ?\\ -> "\\\\"
          ?\n -> "\\n"
          ?\r -> "\\r"
          ?\t -> "\\t"
          c when c < 0x20 -> "\\u" <> String.pad_leading(Integer.to_string(c, 16), 4, "0")
          c -> <<c::utf8>>
        end
      end

    [?", escaped, ?"]
  end
end

defmodule OtpscopeDemo.Calc do
  @moduledoc false
  # Plain functions for the call-tracing demo: a recursion, a local helper and
  # an exception.
  def sum([]), do: 0
  def sum([h | t]), do: h + sum(t)

  def mean(list), do: div(sum(list), count(list))

  defp count(list), do: length(list)

  def parse!(text) do
    case Integer.parse(text) do
      {n, ""} -> n
      _ -> raise ArgumentError, "not an integer: #{inspect(text)}"
    end
  end
end

defmodule Otpscope.Truncate do
  @moduledoc false
  # Cuts big terms to the recording's limits (docs/FORMAT.md "Truncated terms").
  # A cut subterm becomes {:"$truncated", what, original_size, kept}, a real term
  # that renders as what it is. The walk first checks whether anything needs
  # cutting and only rebuilds the term when it does, so the common case (small
  # messages and states) allocates nothing.

  @doc """
  Returns `{term, cuts}` where `cuts` is the number of subterms replaced.
  `limits` is `{max_binary, max_list, max_map, max_tuple, max_depth}`.
  """
  def cut(term, limits) do
    if fits?(term, limits, 0), do: {term, 0}, else: rebuild(term, limits, 0)
  end

  @doc """
  A cut subterm: `{:"$truncated", what, original_size, kept}`. A term can be
  cut twice (a state read and cut inside its process, then cut again with its
  event in the chunk); the marker is left as it is, so the second cut neither
  cuts the marker itself (a 4-tuple over `max_tuple`, or the kept part one
  level deeper than where it was cut) nor counts it again.
  """
  defguard marker?(t)
           when is_tuple(t) and tuple_size(t) == 4 and elem(t, 0) == :"$truncated" and
                  elem(t, 1) in [:binary, :list, :map, :tuple, :depth] and
                  is_integer(elem(t, 2))

  defp fits?(term, _limits, _depth) when marker?(term), do: true
  defp fits?(_term, {_, _, _, _, max_depth}, depth) when depth > max_depth, do: false

  defp fits?(term, {max_binary, _, _, _, _}, _depth) when is_bitstring(term),
    do: byte_size(term) <= max_binary

  defp fits?(term, limits, depth) when is_tuple(term) do
    tuple_size(term) <= elem(limits, 3) and
      tuple_fits?(term, limits, depth + 1, tuple_size(term))
  end

  defp fits?(term, limits, depth) when is_list(term), do: list_fits?(term, limits, depth + 1, 0)

  defp fits?(term, limits, depth) when is_map(term) do
    map_size(term) <= elem(limits, 2) and
      Enum.all?(:maps.to_list(term), fn {k, v} ->
        fits?(k, limits, depth + 1) and fits?(v, limits, depth + 1)
      end)
  end

  defp fits?(_term, _limits, _depth), do: true

  defp tuple_fits?(_tuple, _limits, _depth, 0), do: true

  defp tuple_fits?(tuple, limits, depth, i),
    do: fits?(elem(tuple, i - 1), limits, depth) and tuple_fits?(tuple, limits, depth, i - 1)

  defp list_fits?([], _limits, _depth, _n), do: true

  defp list_fits?([h | t], limits, depth, n),
    do: n < elem(limits, 1) and fits?(h, limits, depth) and list_fits?(t, limits, depth, n + 1)

  # Improper tail: treat like any other element.
  defp list_fits?(tail, limits, depth, _n), do: fits?(tail, limits, depth)

  # One pass over what is kept. A subterm with nothing cut below it is
  # returned as it is (no copy): on a big GenServer state only the path to
  # the oversized part is rebuilt, which made cutting a 500-entry map ~10x
  # cheaper than rebuilding every kept subterm.
  defp rebuild(term, _limits, _depth) when marker?(term), do: {term, 0}

  defp rebuild(_term, {_, _, _, _, max_depth}, depth) when depth > max_depth,
    do: {{:"$truncated", :depth, 0, nil}, 1}

  defp rebuild(term, {max_binary, _, _, _, _}, _depth) when is_bitstring(term) do
    if byte_size(term) > max_binary do
      # a bitstring keeps whole bytes (binary_part/3 takes binaries only
      # from OTP 26 on: <<1::3>> raised there)
      <<kept::binary-size(max_binary), _::bitstring>> = term
      {{:"$truncated", :binary, byte_size(term), kept}, 1}
    else
      {term, 0}
    end
  end

  defp rebuild(term, limits, depth) when is_tuple(term) do
    max = elem(limits, 3)
    size = tuple_size(term)

    if size > max do
      {kept, cuts} = rebuild_list(Enum.take(Tuple.to_list(term), max), limits, depth + 1)
      {{:"$truncated", :tuple, size, kept}, cuts + 1}
    else
      case rebuild_list(Tuple.to_list(term), limits, depth + 1) do
        {_, 0} -> {term, 0}
        {kept, cuts} -> {List.to_tuple(kept), cuts}
      end
    end
  end

  defp rebuild(term, limits, depth) when is_list(term) do
    max = elem(limits, 1)

    case proper_length(term, 0) do
      {:proper, len} when len > max ->
        {kept, cuts} = rebuild_list(Enum.take(term, max), limits, depth + 1)
        {{:"$truncated", :list, len, kept}, cuts + 1}

      {:proper, _len} ->
        rebuild_list(term, limits, depth + 1)

      :improper ->
        rebuild_improper(term, limits, depth + 1, max, 0)
    end
  end

  defp rebuild(term, limits, depth) when is_map(term) do
    max = elem(limits, 2)

    if map_size(term) > max do
      # the same pairs as :maps.to_list/1 would give first (an iterator
      # walks a big map in another order, and is no faster)
      pairs = Enum.take(:maps.to_list(term), max)
      {pairs, cuts} = rebuild_pairs(pairs, limits, depth + 1)
      {{:"$truncated", :map, map_size(term), :maps.from_list(pairs)}, cuts + 1}
    else
      case rebuild_pairs(:maps.to_list(term), limits, depth + 1) do
        {_, 0} -> {term, 0}
        {pairs, cuts} -> {:maps.from_list(pairs), cuts}
      end
    end
  end

  defp rebuild(term, _limits, _depth), do: {term, 0}

  # A subterm that fits is kept without a rebuild (fits?/3 allocates
  # nothing). Checking each child before rebuilding it walks the path to a
  # cut once per level, which the limits keep short.
  defp child(term, limits, depth) do
    if fits?(term, limits, depth), do: {term, 0}, else: rebuild(term, limits, depth)
  end

  # A proper list; returned as it is when nothing below it was cut.
  defp rebuild_list([], _limits, _depth), do: {[], 0}

  defp rebuild_list([h | t] = list, limits, depth) do
    {h2, c1} = child(h, limits, depth)
    {t2, c2} = rebuild_list(t, limits, depth)
    if c1 + c2 == 0, do: {list, 0}, else: {[h2 | t2], c1 + c2}
  end

  defp rebuild_pairs([], _limits, _depth), do: {[], 0}

  defp rebuild_pairs([{k, v} = pair | t] = pairs, limits, depth) do
    {k2, c1} = child(k, limits, depth)
    {v2, c2} = child(v, limits, depth)
    {t2, c3} = rebuild_pairs(t, limits, depth)

    case c1 + c2 + c3 do
      0 -> {pairs, 0}
      c when c1 + c2 == 0 -> {[pair | t2], c}
      c -> {[{k2, v2} | t2], c}
    end
  end

  # Improper lists are kept improper; only their length is bounded.
  defp rebuild_improper([h | t], limits, depth, max, n) when n < max do
    {h2, c1} = rebuild(h, limits, depth)
    {t2, c2} = rebuild_improper(t, limits, depth, max, n + 1)
    {[h2 | t2], c1 + c2}
  end

  defp rebuild_improper([_ | _], _limits, _depth, _max, n),
    do: {{:"$truncated", :list, n, []}, 1}

  defp rebuild_improper(tail, limits, depth, _max, _n), do: rebuild(tail, limits, depth)

  defp proper_length([], n), do: {:proper, n}
  defp proper_length([_ | t], n), do: proper_length(t, n + 1)
  defp proper_length(_, _n), do: :improper
end

defmodule Otpscope.TruncateTest do
  use ExUnit.Case, async: true

  alias Otpscope.Truncate

  # The first implementation, which rebuilt every kept subterm: slow and
  # obviously right. cut/2 must agree with it on every term.
  defmodule Reference do
    @moduledoc false
    def cut(term, limits) do
      if fits?(term, limits, 0), do: {term, 0}, else: rebuild(term, limits, 0)
    end

    # A cut subterm (a marker) is kept as it is, at any depth.
    defp fits?({:"$truncated", w, n, _}, _limits, _depth)
         when w in [:binary, :list, :map, :tuple, :depth] and is_integer(n),
         do: true

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

    defp rebuild({:"$truncated", w, n, _} = marker, _limits, _depth)
         when w in [:binary, :list, :map, :tuple, :depth] and is_integer(n),
         do: {marker, 0}

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
      list = Tuple.to_list(term)

      if length(list) > max do
        {kept, cuts} = rebuild_all(Enum.take(list, max), limits, depth + 1)
        {{:"$truncated", :tuple, length(list), kept}, cuts + 1}
      else
        {kept, cuts} = rebuild_all(list, limits, depth + 1)
        {List.to_tuple(kept), cuts}
      end
    end

    defp rebuild(term, limits, depth) when is_list(term) do
      max = elem(limits, 1)

      case proper_length(term, 0) do
        {:proper, len} when len > max ->
          {kept, cuts} = rebuild_all(Enum.take(term, max), limits, depth + 1)
          {{:"$truncated", :list, len, kept}, cuts + 1}

        {:proper, _len} ->
          rebuild_all(term, limits, depth + 1)

        :improper ->
          rebuild_improper(term, limits, depth + 1, max, 0)
      end
    end

    defp rebuild(term, limits, depth) when is_map(term) do
      max = elem(limits, 2)
      pairs = :maps.to_list(term)
      pairs = if map_size(term) > max, do: Enum.take(pairs, max), else: pairs

      {pairs, cuts} =
        Enum.map_reduce(pairs, 0, fn {k, v}, acc ->
          {k2, c1} = rebuild(k, limits, depth + 1)
          {v2, c2} = rebuild(v, limits, depth + 1)
          {{k2, v2}, acc + c1 + c2}
        end)

      map = Map.new(pairs)

      if map_size(term) > max,
        do: {{:"$truncated", :map, map_size(term), map}, cuts + 1},
        else: {map, cuts}
    end

    defp rebuild(term, _limits, _depth), do: {term, 0}

    defp rebuild_all(list, limits, depth) do
      Enum.map_reduce(list, 0, fn x, acc ->
        {y, c} = rebuild(x, limits, depth)
        {y, acc + c}
      end)
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

  @limits [{8, 5, 4, 3, 3}, {512, 100, 100, 64, 20}, {0, 0, 0, 0, 0}, {2, 1, 1, 1, 1}]

  test "cut/2 agrees with the slow reference on random terms" do
    :rand.seed(:exsss, {1, 2, 3})

    for _ <- 1..3_000, limits <- @limits do
      term = random_term(5)
      assert Truncate.cut(term, limits) == Reference.cut(term, limits), inspect({term, limits})
    end
  end

  # A state is cut inside its process (read at start, or a huge state read at
  # intervals) and cut again with its event: the second cut must change
  # nothing. It cut the marker itself (a 4-tuple over max_tuple 3:
  # {:"$truncated", :tuple, 4, [:"$truncated", :tuple, 5]}, the kept elements
  # lost) and, at the default limits, the kept part of a list cut at the last
  # level (one level deeper inside the marker), counting each cut again.
  test "cutting a cut term again changes nothing" do
    :rand.seed(:exsss, {3, 2, 1})

    for _ <- 1..3_000, limits <- @limits do
      {once, _} = Truncate.cut(random_term(6), limits)
      assert Truncate.cut(once, limits) == {once, 0}, inspect({once, limits})
    end

    state = {:state, 1, 2, 3, 4}
    {once, 1} = Truncate.cut(state, {512, 100, 100, 3, 20})
    assert once == {:"$truncated", :tuple, 5, [:state, 1, 2]}
    assert Truncate.cut(once, {512, 100, 100, 3, 20}) == {once, 0}

    deep = Enum.reduce(1..19, Enum.to_list(1..101), fn _, t -> [t] end)
    {once, 1} = Truncate.cut(deep, {512, 100, 100, 64, 20})
    assert Truncate.cut(once, {512, 100, 100, 64, 20}) == {once, 0}
  end

  # Regression test for a tracer crash on OTP 26+: a bitstring that is not a
  # binary, over max_binary, made binary_part/3 raise.
  test "cut/2 cuts a bitstring that is not a binary to whole bytes" do
    assert Truncate.cut(<<1::3>>, {0, 5, 5, 5, 5}) == {{:"$truncated", :binary, 1, ""}, 1}

    assert Truncate.cut({:x, <<1, 2, 3, 1::3>>}, {2, 5, 5, 5, 5}) ==
             {{:x, {:"$truncated", :binary, 4, <<1, 2>>}}, 1}

    assert Truncate.cut(<<1, 1::3>>, {2, 5, 5, 5, 5}) == {<<1, 1::3>>, 0}
  end

  # Regression test for the big-state cost: a 500-entry map is cut to
  # max_map pairs, and a kept subterm with nothing cut is the original term.
  test "cut/2 keeps uncut subterms as they are" do
    big = Map.new(1..500, &{&1, {&1, "value", [&1]}})
    small = %{a: [1, 2, 3]}

    {{:ok, {:"$truncated", :map, 500, kept}, same}, 1} =
      Truncate.cut({:ok, big, small}, {512, 100, 100, 64, 20})

    assert map_size(kept) == 100
    assert :erts_debug.same(same, small)
  end

  defp random_term(0), do: leaf()

  defp random_term(d) do
    case :rand.uniform(8) do
      1 -> for _ <- 1..:rand.uniform(8), do: random_term(d - 1)
      2 -> List.to_tuple(for _ <- 1..:rand.uniform(6), do: random_term(d - 1))
      3 -> Map.new(1..:rand.uniform(7), fn i -> {i, random_term(d - 1)} end)
      4 -> [random_term(d - 1) | leaf()]
      5 -> Map.new(1..:rand.uniform(40), fn i -> {{:k, i}, leaf()} end)
      _ -> leaf()
    end
  end

  defp leaf do
    case :rand.uniform(5) do
      1 -> :rand.uniform(1000)
      2 -> :binary.copy("x", :rand.uniform(12))
      3 -> :atom
      4 -> <<1::3>>
      5 -> []
    end
  end
end

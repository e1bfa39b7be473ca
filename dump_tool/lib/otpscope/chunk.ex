defmodule Otpscope.Chunk do
  @moduledoc false
  # Turns a batch of raw trace messages into one columnar event chunk
  # (docs/FORMAT.md "Event chunks"). Runs in the writer process, never in the
  # tracer: the tracer only appends messages to a list.
  #
  # Layout choices, measured on the GenServer ping-pong benchmark
  # (bench/recorder_bench.exs): columns compress far better than rows because
  # deflate sees long runs of similar bytes (kinds, small deltas, ascending
  # indices); payload terms are interned so a message sent and received, or a
  # state returned by one callback and passed to the next, is stored once.

  alias Otpscope.{Truncate, Varint}

  @kinds %{
    spawn: 0,
    exit: 1,
    link: 2,
    unlink: 3,
    register: 4,
    unregister: 5,
    send: 6,
    send_to_non_existing_process: 7,
    receive: 8,
    call: 9,
    return_from: 10,
    exception_from: 11,
    state: 12,
    telemetry: 14,
    in: 16,
    out: 17
  }

  @doc "Kind code of a trace tag (or recorder kind)."
  def kind_code(tag), do: Map.fetch!(@kinds, tag)

  defstruct spawned: {%{}, %{}}, limits: {1024, 100, 100, 100, 20}, native_per_sec: 1_000_000_000

  @doc """
  Encodes `msgs` (raw trace messages, any order) and `drops`.
  Returns `{chunk_binary, n_events, cuts, facts, state}`; `facts` lists the
  lifecycle facts seen (`{:spawn, child, parent, mfa}`, `{:exit, pid, reason}`,
  `{:register, pid, name}`) and the pids of the chunk.
  """
  @empty {%{}, 0, []}

  def encode(msgs, drops, %__MODULE__{} = st) do
    rows = msgs |> Enum.reduce([], &row/2) |> List.keysort(0) |> native_to_ns(st)
    {rows, st} = fold_spawns(rows, st, [])

    {t0, u0} =
      case rows do
        [{u, ts, _, _, _, _, _} | _] -> {ts, u}
        [] -> {0, 0}
      end

    # One pass interns pids, mfas and terms; then one tight pass per column
    # appends varints to a binary (binary appends are done in place).
    {irows, {pids, mfas, terms, cuts, facts}} =
      Enum.map_reduce(rows, {@empty, @empty, @empty, 0, []}, &intern_row(&1, &2, st.limits))

    chunk = %{
      v: 1,
      n: length(rows),
      t0: t0,
      u0: u0,
      dt: deltas(irows, 1, t0, <<>>),
      du: deltas(irows, 0, u0, <<>>),
      kind: for({_, _, k, _, _, _, _} <- irows, into: <<>>, do: <<k>>),
      pid: indices(irows, 3, <<>>),
      peer: indices(irows, 4, <<>>),
      mfa: indices(irows, 5, <<>>),
      term: indices(irows, 6, <<>>),
      pids: table(pids),
      mfas: table(mfas),
      terms: table(terms),
      # already in ns (the writer converts them)
      drops: drops
    }

    {:erlang.term_to_binary(chunk), chunk.n, cuts, {Enum.reverse(facts), chunk.pids}, st}
  end

  defp table({_, _, list}), do: Enum.reverse(list)

  defp intern_row({u, t, kind, pid, peer, mfa, term}, {pids, mfas, terms, cuts, facts}, limits) do
    {pid_i, pids} = intern(pids, pid)

    {peer_i, pids} =
      case peer do
        :none -> {0, pids}
        _ -> intern1(pids, peer)
      end

    {mfa_i, mfas} =
      case mfa do
        :none -> {0, mfas}
        _ -> intern1(mfas, mfa)
      end

    {term_i, terms, cuts} =
      case term do
        :none -> {0, terms, cuts}
        {value} -> intern_term(terms, value, limits, cuts)
      end

    facts =
      case kind do
        0 -> [{:spawn, peer, pid, mfa} | facts]
        1 -> [{:exit, pid, elem(term, 0)} | facts]
        4 -> [{:register, pid, elem(term, 0)} | facts]
        _ -> facts
      end

    {{u, t, kind, pid_i, peer_i, mfa_i, term_i}, {pids, mfas, terms, cuts, facts}}
  end

  defp deltas([], _pos, _prev, acc), do: acc

  defp deltas([row | rest], pos, prev, acc) do
    x = elem(row, pos)
    deltas(rest, pos, x, Varint.put_signed(acc, x - prev))
  end

  defp indices([], _pos, acc), do: acc

  defp indices([row | rest], pos, acc),
    do: indices(rest, pos, Varint.put_unsigned(acc, elem(row, pos)))

  defp native_to_ns(rows, %{native_per_sec: 1_000_000_000}), do: rows

  defp native_to_ns(rows, st),
    do: for({u, t, k, p, q, m, x} <- rows, do: {u, to_ns(t, st), k, p, q, m, x})

  # Native monotonic units to ns (identity on Linux, where native is ns).
  defp to_ns(t, %{native_per_sec: 1_000_000_000}), do: t
  defp to_ns(t, _st), do: :erlang.convert_time_unit(t, :native, :nanosecond)

  # row: {u, ts, kind, pid, peer, mfa, term}; :none marks an absent column.
  defp row({:trace_ts, p, :send, msg, to, {t, u}}, acc),
    do: [{u, t, 6, p, to, :none, {msg}} | acc]

  defp row({:trace_ts, p, :receive, msg, {t, u}}, acc),
    do: [{u, t, 8, p, :none, :none, {msg}} | acc]

  defp row({:trace_ts, p, :call, {:telemetry, :execute, [e, m, md]}, {t, u}}, acc),
    do: [{u, t, 14, p, :none, {:telemetry, :execute, 3}, {{e, m, md}}} | acc]

  defp row({:trace_ts, p, :call, {m, f, args}, {t, u}}, acc),
    do: [{u, t, 9, p, :none, {m, f, length(args)}, {args}} | acc]

  defp row({:trace_ts, p, :return_from, mfa, value, {t, u}}, acc),
    do: [{u, t, 10, p, :none, mfa, {value}} | acc]

  defp row({:trace_ts, p, :exception_from, mfa, cv, {t, u}}, acc),
    do: [{u, t, 11, p, :none, mfa, {cv}} | acc]

  defp row({:trace_ts, p, :send_to_non_existing_process, msg, to, {t, u}}, acc),
    do: [{u, t, 7, p, to, :none, {msg}} | acc]

  defp row({:trace_ts, p, :spawn, child, {m, f, args}, {t, u}}, acc),
    do: [{u, t, 0, p, child, {m, f, length(args)}, {args}} | acc]

  # Folded into a spawn event by fold_spawns/3 (parent, child swapped back).
  defp row({:trace_ts, child, :spawned, p, {m, f, args}, {t, u}}, acc),
    do: [{u, t, :spawned, p, child, {m, f, length(args)}, {args}} | acc]

  defp row({:trace_ts, p, :exit, reason, {t, u}}, acc),
    do: [{u, t, 1, p, :none, :none, {reason}} | acc]

  defp row({:trace_ts, p, :link, o, {t, u}}, acc), do: [{u, t, 2, p, o, :none, :none} | acc]
  defp row({:trace_ts, p, :unlink, o, {t, u}}, acc), do: [{u, t, 3, p, o, :none, :none} | acc]
  defp row({:trace_ts, p, :register, n, {t, u}}, acc), do: [{u, t, 4, p, :none, :none, {n}} | acc]

  defp row({:trace_ts, p, :unregister, n, {t, u}}, acc),
    do: [{u, t, 5, p, :none, :none, {n}} | acc]

  defp row({:trace_ts, p, :in, mfa, {t, u}}, acc),
    do: [{u, t, 16, p, :none, mfa(mfa), :none} | acc]

  defp row({:trace_ts, p, :out, mfa, {t, u}}, acc),
    do: [{u, t, 17, p, :none, mfa(mfa), :none} | acc]

  defp row({:trace_ts, p, tag, info, {t, u}}, acc)
       when tag in [:gc_minor_start, :gc_minor_end, :gc_major_start, :gc_major_end],
       do: [{u, t, 15, p, :none, :none, {{tag, info}}} | acc]

  # Recorder-made state snapshot: {:otpscope_state, pid, module, state, {t, u}}.
  defp row({:otpscope_state, p, mod, state, {t, u}}, acc),
    do: [{u, t, 12, p, :none, {mod, :init, 1}, {state}} | acc]

  # getting_linked / getting_unlinked (the linker's side is the event), return_to
  # and anything unknown: not part of format v1.
  defp row(_other, acc), do: acc

  defp mfa({_, _, _} = mfa), do: mfa
  defp mfa(_), do: :none

  # spawn and spawned describe the same event when both processes are traced;
  # keep the first seen. Two generations of children bound the memory.
  defp fold_spawns([], st, out), do: {Enum.reverse(out), st}

  defp fold_spawns([{u, t, k, p, child, mfa, term} | rest], st, out) when k in [0, :spawned] do
    {new, old} = st.spawned

    if Map.has_key?(new, child) or Map.has_key?(old, child) do
      fold_spawns(rest, st, out)
    else
      spawned =
        if map_size(new) >= 50_000,
          do: {%{child => true}, new},
          else: {Map.put(new, child, true), old}

      fold_spawns(rest, %{st | spawned: spawned}, [{u, t, 0, p, child, mfa, term} | out])
    end
  end

  defp fold_spawns([r | rest], st, out), do: fold_spawns(rest, st, [r | out])

  defp intern({map, next, list} = table, key) do
    case map do
      %{^key => i} -> {i, table}
      _ -> {next, {Map.put(map, key, next), next + 1, [key | list]}}
    end
  end

  defp intern1(table, key) do
    {i, table} = intern(table, key)
    {i + 1, table}
  end

  defp intern_term({map, next, list} = table, value, limits, cuts) do
    case map do
      %{^value => i} ->
        {i + 1, table, cuts}

      _ ->
        {cut, n} = Truncate.cut(value, limits)
        bin = :erlang.term_to_binary(cut)
        {next + 1, {Map.put(map, value, next), next + 1, [bin | list]}, cuts + n}
    end
  end
end

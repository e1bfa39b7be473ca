defmodule Otpscope.Chunk do
  @moduledoc false
  # Turns a batch of raw trace messages into one columnar event chunk
  # (docs/FORMAT.md "Event chunks", layout version 2). Runs in an encoder
  # process (Otpscope.Encoder), never in the tracer: the tracer only prepends
  # messages to a list.
  #
  # Layout choices, measured on the GenServer ping-pong benchmark
  # (bench/recorder_bench.exs, 600k events): columns compress far better than
  # rows because deflate sees long runs of similar bytes; small payload terms
  # are interned so a message sent and received is stored once (terms the
  # tracer cut on arrival are not: see intern_term/5; a callback's arguments
  # and its return value are different terms). Version 2 stores the
  # `:term` column as deltas against the previous term of the same kind
  # (1.31 -> 0.004 B/event) and `:peer` against the previous peer of the same
  # kind and process (0.25 -> 0.003 B/event).
  #
  # Speed: one pass over the messages, appending to seven binaries at once
  # (appends are in place); interning in the process dictionary (destructive
  # updates, no map copies); a term is truncated and `term_to_binary`'d only
  # the first time it is seen in the chunk. The chunk term is produced as
  # external-format pieces (one per map key) so the encoder can deflate each
  # column as its own block and never builds the whole chunk binary.

  import Bitwise
  alias Otpscope.{Facts, Truncate}

  @version 2

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

  @doc "Chunk layout version written (the chunk's `:v`)."
  def version, do: @version

  @doc """
  A table shared by the encoders to fold `spawn` + `spawned` of the same child
  into one event even when the two land in different chunks.
  """
  def new_spawn_table,
    do: :ets.new(:otpscope_spawned, [:set, :public, {:write_concurrency, true}])

  @spawn_table_max 100_000

  @doc """
  Encodes `msgs` (raw trace messages, in any order) and `drops` (already in
  ns). Returns `%{pieces: [iodata], n:, cuts:, facts:, pids:, t0:, t1:}`: the pieces,
  concatenated, are the chunk term in external term format (a map); `facts`
  lists the lifecycle facts seen (`{:spawn, child, parent, mfa,
  initial_call}` (spawn_fact/4), `{:name, pid, name}` (spawn_facts/5),
  `{:exit, pid, reason}`, `{:register, pid, name}`, `{:task, pid,
  initial_call}` (task_fact/3), `{:naming, caller, holder, name}` and
  `{:named, caller, taken?}` (a call to a function that names a process and
  its return: Otpscope.Facts.naming_call/3, naming_return/2; `naming`
  lists those functions, each true when its calls are facts only, no
  events)) and `pids` the chunk's
  process table; `t0` / `t1` the first and last event's time (monotonic ns).

  Uses the calling process's dictionary as scratch space and restores it.
  """
  def encode(msgs, drops, limits, spawned, naming \\ %{}) do
    saved = :erlang.erase()

    try do
      do_encode(sorted(msgs), drops, limits, spawned, naming)
    after
      :erlang.erase()
      for {k, v} <- saved, do: :erlang.put(k, v)
    end
  end

  defp do_encode(msgs, drops, limits, spawned, naming) do
    {t0, u0} =
      case msgs do
        [first | _] -> row_time(first)
        [] -> {0, 0}
      end

    # Keys of the scratch tables are wrapped in {tag, ...} with a fresh
    # reference, so they can never equal a payload term (terms are the raw
    # keys of the term table).
    tag = make_ref()
    kind_keys = List.to_tuple(for k <- 0..18, do: {tag, :k, k})

    a = %{
      tag: tag,
      kind_keys: kind_keys,
      limits: limits,
      spawned: spawned,
      naming: naming,
      zeros: zeros(),
      np: 0,
      nm: 0,
      nt: 0
    }

    {n, cols, tables, cuts, facts, n_terms, t1} =
      loop(
        msgs,
        a,
        t0,
        u0,
        0,
        {<<>>, <<>>, <<>>, <<>>, <<>>, <<>>, <<>>},
        {[], [], []},
        0,
        [],
        nil,
        0
      )

    {dt, du, kind, pid, peer, mfa, term} = cols
    {pids, mfas, terms} = tables
    pids = :lists.reverse(pids)

    pieces = [
      <<131, 116, 15::32>>,
      [atom(:drops), :erlang.term_to_binary(drops) |> strip()],
      [atom(:dt), bin(dt)],
      [atom(:du), bin(du)],
      [atom(:kind), bin(kind)],
      [atom(:mfa), bin(mfa)],
      [atom(:mfas), :erlang.term_to_binary(:lists.reverse(mfas)) |> strip()],
      [atom(:n), int(n)],
      [atom(:peer), bin(peer)],
      [atom(:pid), bin(pid)],
      [atom(:pids), :erlang.term_to_binary(pids) |> strip()],
      [atom(:t0), int(t0)],
      [atom(:term), bin(term)],
      [atom(:terms), list_of_binaries(terms, n_terms)],
      [atom(:u0), int(u0)],
      [atom(:v), int(@version)]
    ]

    %{
      pieces: pieces,
      n: n,
      cuts: cuts,
      facts: :lists.reverse(facts),
      pids: pids,
      t0: t0,
      t1: t1
    }
  end

  @doc """
  Cuts the payload of one big trace message to `limits` (the tracer does it
  as big messages arrive, see Otpscope.Tracer). Returns a row that encode/5
  takes like a trace message: `{:otpscope_row, kind, pid, peer, mfa, {term},
  cuts, {t, u}}` (the time stays the last element), or `msg` itself when it
  is not an event of the format or has no payload.
  """
  def precut(msg, limits) do
    case row(msg) do
      {kind, pid, peer, mfa, {term}} ->
        {cut, cuts} = Truncate.cut(term, limits)
        {:otpscope_row, kind, pid, peer, mfa, {cut}, cuts, :erlang.element(tuple_size(msg), msg)}

      _ ->
        msg
    end
  end

  defp atom(a), do: strip(:erlang.term_to_binary(a))
  defp int(i), do: strip(:erlang.term_to_binary(i))
  defp bin(b), do: [<<109, byte_size(b)::32>>, b]
  defp strip(<<131, rest::binary>>), do: rest

  # `terms` holds the entries newest first, each already [header, binary].
  defp list_of_binaries([], 0), do: <<106>>
  defp list_of_binaries(terms, len), do: [<<108, len::32>>, :lists.reverse(terms), <<106>>]

  # The tracer prepends, so a buffer is usually newest first and in order;
  # sort only when it is not (messages from different schedulers can arrive
  # slightly out of order).
  defp sorted([]), do: []

  defp sorted([m | rest] = msgs) do
    if descending?(rest, u_of(m)) do
      :lists.reverse(msgs)
    else
      msgs |> Enum.map(&{u_of(&1), &1}) |> List.keysort(0) |> Enum.map(&elem(&1, 1))
    end
  end

  defp descending?([], _u), do: true

  defp descending?([m | rest], u) do
    v = u_of(m)
    v < u and descending?(rest, v)
  end

  defp u_of(msg) do
    {_t, u} = :erlang.element(tuple_size(msg), msg)
    u
  end

  # Trace timestamps are nanoseconds whatever the native time unit (erts
  # converts them before it writes them), and so are the recorder's own.
  defp row_time(msg), do: :erlang.element(tuple_size(msg), msg)

  # The single pass. `cols` = {dt, du, kind, pid, peer, mfa, term} binaries;
  # `lp`/`li`: the previous event's pid and its index (most events are by the
  # same process as the one before: no table lookup then).
  defp loop([], a, pt, _pu, n, cols, tables, cuts, facts, _lp, _li),
    do: {n, cols, tables, cuts, facts, a.nt, pt}

  defp loop([msg | rest], a, pt, pu, n, cols, tables, cuts, facts, lp, li) do
    case row(msg) do
      nil ->
        loop(rest, a, pt, pu, n, cols, tables, cuts, facts, lp, li)

      {kind, pid, peer, mfa, term} ->
        {skip?, facts} = screen(kind, pid, peer, mfa, term, a, facts)

        if skip? do
          loop(rest, a, pt, pu, n, cols, tables, cuts, facts, lp, li)
        else
          {t, u} = row_time(msg)
          {dt, du, kb, pb, qb, mb, tb} = cols
          {pids, mfas, terms} = tables

          {pid_i, a, pids} = if pid === lp, do: {li, a, pids}, else: intern_pid(a, pids, pid)

          {qb, a, pids} =
            case peer do
              :none ->
                {<<qb::binary, 0>>, a, pids}

              _ ->
                {peer_i, a, pids} = intern_pid(a, pids, peer)
                key = {a.tag, pid_i <<< 5 ||| kind}
                last = :erlang.put(key, peer_i)
                last = if last == :undefined, do: 0, else: last
                {put_unsigned(qb, zigzag(peer_i - last) + 1), a, pids}
            end

          {mb, a, mfas} =
            case mfa do
              :none ->
                {<<mb::binary, 0>>, a, mfas}

              _ ->
                key = {a.tag, mfa}

                case :erlang.get(key) do
                  :undefined ->
                    i = a.nm
                    :erlang.put(key, i)
                    {put_unsigned(mb, i + 1), %{a | nm: i + 1}, [mfa | mfas]}

                  i ->
                    {put_unsigned(mb, i + 1), a, mfas}
                end
            end

          {tb, a, terms, cuts} =
            case term do
              :none ->
                {<<tb::binary, 0>>, a, terms, cuts}

              {value} ->
                {term_i, a, terms, cuts} = intern_term(a, terms, cuts, value, msg)
                last = :erlang.put(elem(a.kind_keys, kind), term_i)
                last = if last == :undefined, do: 0, else: last
                {put_unsigned(tb, zigzag(term_i - last) + 1), a, terms, cuts}
            end

          facts =
            case kind do
              0 -> spawn_facts(peer, pid, mfa, elem(term, 0), facts)
              1 -> [{:exit, pid, elem(term, 0)} | facts]
              4 -> [{:register, pid, elem(term, 0)} | facts]
              8 -> task_fact(pid, elem(term, 0), facts)
              _ -> facts
            end

          cols =
            {put_signed(dt, t - pt), put_signed(du, u - pu), <<kb::binary, kind>>,
             put_unsigned(pb, pid_i), qb, mb, tb}

          loop(rest, a, t, u, n + 1, cols, {pids, mfas, terms}, cuts, facts, pid, pid_i)
        end
    end
  end

  # Rows that are no events, or facts before events: the second half of a
  # spawn already seen; a call to a function that names a process
  # (Otpscope.Facts.naming_functions/0) or its return, a fact, and no event
  # when the recorder traces that function for the facts alone (`naming`:
  # mfa => hidden?, the encoder's options).
  defp screen(0, _pid, peer, _mfa, _term, a, facts),
    do: {not first_spawn?(a.spawned, peer), facts}

  defp screen(kind, pid, _peer, mfa, {value}, %{naming: naming}, facts)
       when kind >= 9 and kind <= 11 and is_map_key(naming, mfa),
       do: {:erlang.map_get(mfa, naming), [naming_fact(kind, pid, mfa, value) | facts]}

  defp screen(_kind, _pid, _peer, _mfa, _term, _a, facts), do: {false, facts}

  defp naming_fact(9, pid, mfa, args), do: Facts.naming_call(pid, mfa, args)
  defp naming_fact(10, pid, _mfa, value), do: Facts.naming_return(pid, value)
  defp naming_fact(11, pid, _mfa, _class_value), do: {:named, pid, false}

  @doc """
  The lifecycle fact of a spawn event: `{:spawn, child, parent, mfa,
  initial_call}`, `initial_call` the `$initial_call` the child gives
  itself as far as the spawn's arguments tell (Otpscope.Facts.spawn_initial_call/3).
  """
  def spawn_fact(child, parent, {m, f, _} = mfa, args),
    do: {:spawn, child, parent, mfa, Facts.spawn_initial_call(m, f, args)}

  @doc """
  The facts of a spawn event before `facts`: spawn_fact/4, and `{:name,
  child, name}` when the spawn starts a process under a global or via name
  (Otpscope.Facts.spawn_name/3), which the process may hold no longer
  when the recording stops.
  """
  def spawn_facts(child, parent, {m, f, _} = mfa, args, facts) do
    facts = [spawn_fact(child, parent, mfa, args) | facts]

    case Facts.spawn_name(m, f, args) do
      nil -> facts
      name -> [{:name, child, name} | facts]
    end
  end

  @doc """
  `{:task, pid, initial_call}` before `facts` when `msg`, received by
  `pid`, is the message that gives a Task.async its function
  (Otpscope.Facts.task_initial_call/1); the writer takes it for the first
  such message of a process that a spawn showed to be a Task.async one.
  """
  def task_fact(pid, msg, facts) do
    case Facts.task_initial_call(msg) do
      nil -> facts
      call -> [{:task, pid, call} | facts]
    end
  end

  defp intern_pid(a, pids, pid) do
    key = {a.tag, pid}

    case :erlang.get(key) do
      :undefined ->
        i = a.np
        :erlang.put(key, i)
        {i, %{a | np: i + 1}, [pid | pids]}

      i ->
        {i, a, pids}
    end
  end

  # A term cut by the tracer (a big one) is not interned: looking it up
  # hashes the whole term, which cost ~40 % of the encoder's time on the
  # mixed benchmark workload, and big terms rarely repeat whole (a state is
  # passed to a callback as `[msg, from, state]` and returned as
  # `{:reply, r, state}`). Deflate still finds a repeat close by.
  defp intern_term(a, terms, cuts, value, {:otpscope_row, _, _, _, _, _, c, _}) do
    add_term(a, terms, cuts + c, value)
  end

  #
  # Below OTP 27 the runtime holds 0.0 and -0.0 exactly equal (`=:=`), so
  # the dictionary took `{:x, 0.0}` for an earlier `{:x, -0.0}` and the
  # chunk held the sign the chunk saw first. A new term whose encoding
  # holds a float zero (found by `:binary.match/2` over the encoding made
  # anyway: a few tens of ns, against 410-430 for a walk of the term in
  # Elixir) is interned by that encoding instead, and marked so that a term
  # equal to it is encoded again to be looked up the same way: only terms
  # with a float zero pay, one encoding per occurrence. A term equal to one
  # interned without the mark has no float zero where the cut keeps it
  # (equal terms differ at most in the signs of their zeros), so it renders
  # the same. `zeros`: the pattern, nil on OTP 27+ (the runtime tells them
  # apart there).
  defp intern_term(a, terms, cuts, value, _msg) do
    case :erlang.get(value) do
      i when is_integer(i) ->
        {i, a, terms, cuts}

      :undefined ->
        {cut, c} = Truncate.cut(value, a.limits)
        bin = :erlang.term_to_binary(cut)

        if a.zeros != nil and :binary.match(bin, a.zeros) != :nomatch do
          :erlang.put(value, :zero)
          intern_zero(a, terms, cuts, c, bin)
        else
          :erlang.put(value, a.nt)
          add_bin(a, terms, cuts + c, bin)
        end

      :zero ->
        {cut, c} = Truncate.cut(value, a.limits)
        intern_zero(a, terms, cuts, c, :erlang.term_to_binary(cut))
    end
  end

  defp intern_zero(a, terms, cuts, c, bin) do
    key = {a.tag, :zero, bin}

    case :erlang.get(key) do
      :undefined ->
        :erlang.put(key, a.nt)
        add_bin(a, terms, cuts + c, bin)

      i ->
        {i, a, terms, cuts}
    end
  end

  # NEW_FLOAT_EXT of 0.0 and of -0.0 (term_to_binary/1 writes no other float encoding)
  defp zeros do
    if :erlang.binary_to_term(<<131, 70, 128, 0, 0, 0, 0, 0, 0, 0>>) === 0.0,
      do: :binary.compile_pattern([<<70, 0::64>>, <<70, 128, 0::56>>])
  end

  defp add_term(a, terms, cuts, term), do: add_bin(a, terms, cuts, :erlang.term_to_binary(term))

  defp add_bin(a, terms, cuts, bin) do
    i = a.nt
    {i, %{a | nt: i + 1}, [[<<109, byte_size(bin)::32>>, bin] | terms], cuts}
  end

  # spawn and spawned describe the same event when both processes are traced;
  # the first one an encoder sees is kept. A child stays in the table only
  # until its second half shows up; children whose other half never comes
  # (one side untraced) are forgotten when the table is full.
  defp first_spawn?(table, child) do
    if :ets.insert_new(table, {child}) do
      if :ets.info(table, :size) > @spawn_table_max do
        :ets.delete_all_objects(table)
        :ets.insert(table, {child})
      end

      true
    else
      :ets.delete(table, child)
      false
    end
  end

  defp zigzag(x) when x >= 0, do: x <<< 1
  defp zigzag(x), do: -x * 2 - 1

  defp put_signed(bin, x) when x >= 0, do: put_unsigned(bin, x <<< 1)
  defp put_signed(bin, x), do: put_unsigned(bin, -x * 2 - 1)

  defp put_unsigned(bin, n) when n < 0x80, do: <<bin::binary, n>>
  defp put_unsigned(bin, n) when n < 0x4000, do: <<bin::binary, (n &&& 0x7F) ||| 0x80, n >>> 7>>

  defp put_unsigned(bin, n) when n < 0x200000,
    do: <<bin::binary, (n &&& 0x7F) ||| 0x80, (n >>> 7 &&& 0x7F) ||| 0x80, n >>> 14>>

  defp put_unsigned(bin, n), do: put_unsigned(<<bin::binary, (n &&& 0x7F) ||| 0x80>>, n >>> 7)

  # {kind, pid, peer, mfa, term}; :none marks an absent column, a term is
  # wrapped in a 1-tuple; kind 0 rows from `spawned` have parent and child
  # swapped back. nil: not an event of the format (getting_linked /
  # getting_unlinked, whose linker side is the event; return_to; unknown).
  defp row({:trace_ts, p, :send, msg, to, _}), do: {6, p, to, :none, {msg}}
  defp row({:trace_ts, p, :receive, msg, _}), do: {8, p, :none, :none, {msg}}

  defp row({:trace_ts, p, :call, {:telemetry, :execute, [e, m, md]}, _}),
    do: {14, p, :none, {:telemetry, :execute, 3}, {{e, m, md}}}

  # A line snapshot of an instrumented module (Otpscope.Lines).
  defp row({:trace_ts, p, :call, {Otpscope.Lines, :snap, [mfa, line, bindings]}, _}),
    do: {13, p, :none, mfa, {{line, bindings}}}

  defp row({:trace_ts, p, :call, {m, f, args}, _}),
    do: {9, p, :none, {m, f, length(args)}, {args}}

  defp row({:trace_ts, p, :return_from, mfa, value, _}), do: {10, p, :none, mfa, {value}}
  defp row({:trace_ts, p, :exception_from, mfa, cv, _}), do: {11, p, :none, mfa, {cv}}

  defp row({:trace_ts, p, :send_to_non_existing_process, msg, to, _}),
    do: {7, p, to, :none, {msg}}

  defp row({:trace_ts, p, :spawn, child, {m, f, args}, _}),
    do: {0, p, child, {m, f, length(args)}, {args}}

  defp row({:trace_ts, child, :spawned, p, {m, f, args}, _}),
    do: {0, p, child, {m, f, length(args)}, {args}}

  defp row({:trace_ts, p, :exit, reason, _}), do: {1, p, :none, :none, {reason}}
  defp row({:trace_ts, p, :link, o, _}), do: {2, p, o, :none, :none}
  defp row({:trace_ts, p, :unlink, o, _}), do: {3, p, o, :none, :none}
  defp row({:trace_ts, p, :register, n, _}), do: {4, p, :none, :none, {n}}
  defp row({:trace_ts, p, :unregister, n, _}), do: {5, p, :none, :none, {n}}
  defp row({:trace_ts, p, :in, mfa, _}), do: {16, p, :none, mfa(mfa), :none}
  defp row({:trace_ts, p, :out, mfa, _}), do: {17, p, :none, mfa(mfa), :none}

  defp row({:trace_ts, p, tag, info, _})
       when tag in [:gc_minor_start, :gc_minor_end, :gc_major_start, :gc_major_end],
       do: {15, p, :none, :none, {{tag, info}}}

  defp row({:otpscope_row, kind, p, peer, mfa, term, _cuts, _}), do: {kind, p, peer, mfa, term}

  # Recorder-made state snapshot: {:otpscope_state, pid, module, state, {t, u}}
  # at start; {:otpscope_state, pid, {module, :get_state, 1}, state, {t, u}}
  # read later (the state reader of huge states).
  defp row({:otpscope_state, p, {_, _, _} = mfa, state, _}), do: {12, p, :none, mfa, {state}}
  defp row({:otpscope_state, p, mod, state, _}), do: {12, p, :none, {mod, :init, 1}, {state}}
  defp row(_other), do: nil

  defp mfa({_, _, _} = mfa), do: mfa
  defp mfa(_), do: :none
end

defmodule Otpscope.Snapshots do
  @moduledoc false
  # The state of every chosen GenServer and gen_statem when the recording
  # starts (`:sys.get_state/2`), so the analyzer knows the state of a process
  # that handles nothing while it is recorded, and has a "before" for the
  # first callback it sees. Taken before tracing is switched on, so the
  # system messages are not in the trace.
  #
  # It must not hurt the node: the states are read one process at a time by
  # a short-lived process (a reply that comes after its timeout dies with
  # it), each within `@per_process_ms`, all within `@budget_ms`; each state
  # is cut to the term limits as it arrives and the cut states together hold
  # at most the words of one tracer buffer (they are the tracer's first
  # buffer). A process whose heap is bigger than that buffer is not read
  # (its whole state would be copied before the cut). Processes left out
  # (busy, suspended, too big, over the budget) are counted in the
  # manifest's warnings.

  alias Otpscope.{Callbacks, Truncate}

  @per_process_ms 100
  @read_timeout_ms 2_000
  @budget_ms 1_000

  @doc """
  `{pid, callback_module}` of the gen_server and gen_statem processes among
  `facts` (Otpscope.Facts.processes/1, which read their `$initial_call`
  already); not supervisors: their state is the supervisor's own
  bookkeeping.
  """
  def targets(facts) do
    for %{pid: pid, behaviour: b, module: mod} <- facts,
        b in [:gen_server, :gen_statem],
        not Callbacks.own?(mod),
        do: {pid, mod}
  end

  @doc """
  Reads the state of each `{pid, module}` target. `{snapshots, skipped}`:
  `snapshots` are `{:otpscope_state, pid, module, state, {monotonic,
  unique}}` messages (the timestamp in the form of a
  `strict_monotonic_timestamp` trace timestamp, taken when the reply came),
  `skipped` counts the targets left out.
  """
  def take(targets, limits, max_count, max_words) do
    parent = self()
    ref = make_ref()

    {worker, mref} =
      spawn_monitor(fn ->
        deadline = :erlang.monotonic_time(:millisecond) + @budget_ms
        send(parent, {ref, collect(targets, limits, max_count, max_words, deadline, [], 0, 0)})
      end)

    receive do
      {^ref, {snaps, taken}} ->
        Process.demonitor(mref, [:flush])
        {Enum.reverse(snaps), length(targets) - taken}

      {:DOWN, ^mref, :process, ^worker, _} ->
        {[], length(targets)}
    after
      @budget_ms + @per_process_ms + 1_000 ->
        Process.exit(worker, :kill)
        Process.demonitor(mref, [:flush])
        {[], length(targets)}
    end
  end

  defp collect([], _limits, _max, _words, _deadline, acc, n, _w), do: {acc, n}

  defp collect([{pid, mod} | rest], limits, max, max_words, deadline, acc, n, w) do
    left = deadline - :erlang.monotonic_time(:millisecond)

    cond do
      n >= max or w >= max_words or left <= 0 ->
        {acc, n}

      # :sys.get_state copies the whole state here before it is cut: a
      # process whose heap alone is bigger than the budget is left out
      # (counted), rather than copied.
      heap_words(pid) > max_words ->
        collect(rest, limits, max, max_words, deadline, acc, n, w)

      true ->
        read(pid, mod, rest, limits, max, max_words, deadline, acc, n, w, left)
    end
  end

  defp read(pid, mod, rest, limits, max, max_words, deadline, acc, n, w, left) do
    case state(pid, min(@per_process_ms, left)) do
      {:ok, state} ->
        {cut, _cuts} = Truncate.cut(state, limits)
        ts = {:erlang.monotonic_time(:nanosecond), :erlang.unique_integer([:monotonic])}
        snap = {:otpscope_state, pid, mod, cut, ts}
        w = w + :erts_debug.flat_size(snap)
        collect(rest, limits, max, max_words, deadline, [snap | acc], n + 1, w)

      :error ->
        collect(rest, limits, max, max_words, deadline, acc, n, w)
    end
  end

  defp heap_words(pid) do
    case Process.info(pid, :total_heap_size) do
      {:total_heap_size, words} -> words
      nil -> 0
    end
  end

  defp state(pid, timeout) do
    {:ok, :sys.get_state(pid, timeout)}
  catch
    :exit, _ -> :error
  end

  @doc """
  Starts the state reader of a recording, linked to the caller: the
  process that reads, every `interval` ms, the states of the processes
  whose callbacks are no longer traced because their states are too big
  (Otpscope.Tracer), and sends each to `tracer` as a state event
  (`{:otpscope_state, pid, {module, :get_state, 1}, cut, timestamp}`,
  docs/FORMAT.md kind 12). Targets come as `{:otpscope_read, [{pid,
  module}], :now | :later}` (read at once, or first at the next
  interval); a target that exits is forgotten.

  A state is cut inside the process that holds it (read_cut/3), so only
  the cut (bounded by the term limits) is ever copied: :sys.get_state/2
  would copy the whole state into the reader first, which is what tracing
  the callbacks did. One process at a time, each within @read_timeout_ms.
  `{:otpscope_reads, from}` answers `{:otpscope_reads, reader, %{pid =>
  reads}}`.
  """
  def reader(tracer, limits, interval) do
    for mod <- [Truncate, :sys], do: {:module, ^mod} = Code.ensure_loaded(mod)
    parent = self()

    spawn_link(fn ->
      # a timer, not `receive ... after`: a message (info/0 asking how many
      # reads) would start that wait again
      Process.send_after(self(), :otpscope_read_all, interval)

      read_loop(%{
        tracer: tracer,
        limits: limits,
        interval: interval,
        parent: parent,
        targets: %{},
        reads: %{}
      })
    end)
  end

  defp read_loop(st) do
    receive do
      {:otpscope_read, targets, when_} ->
        fresh = for {pid, mod} <- targets, not is_map_key(st.targets, pid), do: {pid, mod}

        # `:now`: the first state after the switch; then at intervals
        st = if when_ == :now, do: read_all(fresh, st), else: st
        for {pid, _} <- fresh, do: Process.monitor(pid)
        read_loop(%{st | targets: Map.merge(st.targets, Map.new(fresh))})

      {:DOWN, _, :process, pid, _} ->
        read_loop(%{st | targets: Map.delete(st.targets, pid)})

      {:otpscope_stop_reading, from} ->
        send(from, {:otpscope_reader_stopped, self()})

      {:otpscope_reads, from} ->
        send(from, {:otpscope_reads, self(), st.reads})
        read_loop(st)

      :otpscope_read_all ->
        st = read_all(Map.to_list(st.targets), st)
        Process.send_after(self(), :otpscope_read_all, st.interval)
        read_loop(st)

      # a reply that came after its timeout
      _late ->
        read_loop(st)
    end
  end

  # A process busy for a while only delays the reader (its late reply is
  # dropped), so it waits longer than at start, where the budget is shared.
  defp read_all(targets, st) do
    Enum.reduce(targets, st, fn {pid, mod}, st ->
      case read_cut(pid, st.limits, @read_timeout_ms) do
        {:ok, cut, _words} ->
          ts = {:erlang.monotonic_time(:nanosecond), :erlang.unique_integer([:monotonic])}
          send(st.tracer, {:otpscope_state, pid, {mod, :get_state, 1}, cut, ts})
          %{st | reads: Map.update(st.reads, pid, 1, &(&1 + 1))}

        :error ->
          st
      end
    end)
  end

  @doc """
  The state of the gen_server or gen_statem `pid` (gen_statem: `{state,
  data}`), cut to `limits` inside that process: its :sys.replace_state
  function cuts the state and throws the cut, which leaves the state as it
  was and brings back only the cut. `{:ok, cut, words}` (`words`: the
  whole state's flat size) or `:error` (busy past `timeout` ms, gone, or
  not a gen process).
  """
  def read_cut(pid, limits, timeout) do
    :sys.replace_state(
      pid,
      fn state ->
        throw({:otpscope_cut, elem(Truncate.cut(state, limits), 0), :erts_debug.flat_size(state)})
      end,
      timeout
    )

    :error
  catch
    :error, {:callback_failed, _, {:throw, {:otpscope_cut, cut, words}}} -> {:ok, cut, words}
    _, _ -> :error
  end

  @doc """
  The targets (`{pid, module}`) whose state is bigger than `huge_words`,
  each with its state at start read as read_cut/3 does: `{huge,
  snapshots}`, `huge` as `{pid, module, words}`. Only processes whose heap
  is that big are asked, all at once, each within @read_timeout_ms.

  One that does not answer is counted huge all the same, with its heap's
  words and no snapshot: its heap is over the bound, so its state may be,
  and tracing its calls would copy that state into every trace message,
  whereas reading its state at intervals costs a cut. Whether a process
  answers in time says how busy it or the node is, not how big its state
  is: with one 100 ms wait each, an 8 and a 16 MB state read in 5 ms on a
  quiet node, but with every scheduler busy one of them was missed in 4 of
  30 starts, and its calls were traced.
  """
  def huge(targets, limits, huge_words) do
    # the cut runs in the target: loading Truncate there would make it wait
    # for the code server
    {:module, _} = Code.ensure_loaded(Truncate)
    big = for {pid, mod} <- targets, (heap = heap_words(pid)) > huge_words, do: {pid, mod, heap}
    parent = self()
    ref = make_ref()

    for {pid, _, _} <- big do
      spawn(fn ->
        result = read_cut(pid, limits, @read_timeout_ms)
        ts = {:erlang.monotonic_time(:nanosecond), :erlang.unique_integer([:monotonic])}
        send(parent, {ref, pid, result, ts})
      end)
    end

    for {pid, mod, heap} <- big, reduce: {[], []} do
      {huge, snaps} ->
        case await_cut(ref, pid) do
          {{:ok, cut, words}, ts} when words > huge_words ->
            {huge ++ [{pid, mod, words}], snaps ++ [{:otpscope_state, pid, mod, cut, ts}]}

          {{:ok, _cut, _words}, _ts} ->
            {huge, snaps}

          {:error, _ts} ->
            if Process.alive?(pid), do: {huge ++ [{pid, mod, heap}], snaps}, else: {huge, snaps}
        end
    end
  end

  # Every reader answers (read_cut/3 has its own timeout); the wait after
  # it only guards against a reader killed from outside.
  defp await_cut(ref, pid) do
    receive do
      {^ref, ^pid, result, ts} -> {result, ts}
    after
      @read_timeout_ms + 5_000 -> {:error, nil}
    end
  end
end

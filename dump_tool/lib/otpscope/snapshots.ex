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
end

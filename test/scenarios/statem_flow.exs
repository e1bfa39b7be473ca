# gen_statem control flow that takes no message from the mailbox, or takes one twice:
# - Scn.Gate postpones casts and a call while closed; they come back after the state changes (a repeat_state
#   in between brings nothing back), and the same cast is sent again later (a second message of the same text);
# - events a callback inserts ({:next_event, :internal | :cast | :info, _}), one of them the text of a cast sent later;
# - state, event and generic timeouts and :hibernate, a reply given by a later callback than the call's, one from
#   another process (:gen_statem.reply/2), repeat_state, stop_and_reply, a call with {:dirty_timeout, t};
# - Scn.Shelf (handle_event_function, state enter calls, tuple states) postpones work while busy;
# - Scn.Latch's last callback returns with an event queued (a postponed one, or an inserted :internal one) whose
#   callback is still running at the end, while :extra, received during the callback before (its receive ... after), waits.
#   cd dump_tool && mix run ../test/scenarios/statem_flow.exs
defmodule Scn.Gate do
  @behaviour :gen_statem
  def callback_mode, do: :state_functions
  def init(:ok), do: {:ok, :closed, %{n: 0, waiting: nil}}

  def closed(:cast, {:job, _}, _d), do: {:keep_state_and_data, [:postpone]}
  def closed({:call, _from}, :peek, _d), do: {:keep_state_and_data, :postpone}
  def closed(:cast, :poke, _d), do: :repeat_state_and_data
  def closed(:cast, :open, d), do: {:next_state, :open, d}

  def open(:cast, {:job, j}, d), do: {:keep_state, %{d | n: d.n + j}}
  def open({:call, from}, :peek, d), do: {:keep_state_and_data, [{:reply, from, d.n}]}
  def open(:cast, :chain, d), do: {:keep_state, d, [{:next_event, :internal, :step1}, {:next_event, :cast, :step2}, {:next_event, :info, :step3}]}
  def open(:internal, :step1, d), do: {:keep_state, %{d | n: d.n + 100}}
  def open(:cast, :step2, d), do: {:keep_state, %{d | n: d.n + 1000}}
  def open(:info, :step3, d), do: {:keep_state, %{d | n: d.n + 10000}}
  def open(:cast, :timers, d), do: {:next_state, :timing, d, [{:state_timeout, 5, :st}, {{:timeout, :gen}, 20, :gt}]}
  def open({:call, from}, :later, d), do: {:keep_state, %{d | waiting: from}}
  def open(:cast, :answer, d), do: {:keep_state, %{d | waiting: nil}, [{:reply, d.waiting, :answered}]}

  def open({:call, from}, :helper, _d) do
    spawn(fn -> :gen_statem.reply(from, :helped) end)
    :keep_state_and_data
  end

  def open(:cast, :again, _d), do: :repeat_state_and_data
  def open({:call, from}, :stop, d), do: {:stop_and_reply, :normal, [{:reply, from, :bye}], d}

  def timing(:state_timeout, :st, d), do: {:keep_state, d, [{:timeout, 5, :ev}]}
  def timing(:timeout, :ev, d), do: {:keep_state, d}
  def timing({:timeout, :gen}, :gt, d), do: {:next_state, :open, d, [:hibernate]}
end

defmodule Scn.Shelf do
  @behaviour :gen_statem
  def callback_mode, do: [:handle_event_function, :state_enter]
  def init(:ok), do: {:ok, {:idle, 0}, []}
  def handle_event(:enter, _old, {:busy, _}, d), do: {:keep_state, d, [{:state_timeout, 5, :done}]}
  def handle_event(:enter, _old, _s, _d), do: :keep_state_and_data
  def handle_event(:cast, {:work, w}, {:idle, k}, d), do: {:next_state, {:busy, k + 1}, [w | d]}
  def handle_event(:cast, {:work, _}, {:busy, _}, _d), do: {:keep_state_and_data, [:postpone]}
  def handle_event(:state_timeout, :done, {:busy, k}, d), do: {:next_state, {:idle, k}, d}
  def handle_event({:call, from}, :count, {_, k}, d), do: {:keep_state_and_data, [{:reply, from, {k, length(d)}}]}
end

defmodule Scn.Latch do
  @behaviour :gen_statem
  def callback_mode, do: :state_functions
  def init(mode), do: {:ok, :shut, mode}
  def shut(:cast, :job, _mode), do: {:keep_state_and_data, :postpone}

  def shut(:cast, :open, mode) do
    # a receive that looks at the mailbox (Process.sleep/1 does not): :extra arrives meanwhile, received here
    receive do
      :nothing -> :ok
    after
      50 -> :ok
    end

    if mode == :postpone, do: {:next_state, :opened, mode}, else: {:keep_state_and_data, [{:next_event, :internal, :hang}]}
  end

  def shut(:internal, :hang, _mode), do: hang()
  def opened(:cast, :job, _mode), do: hang()
  defp hang, do: receive(do: (:never -> :keep_state_and_data))
end

out = System.get_env("OUT", "../test/fixtures/scenarios")
name = System.get_env("NAME", "statem-flow.zip")
Code.ensure_loaded(Scn.Gate)
Code.ensure_loaded(Scn.Shelf)
Code.ensure_loaded(Scn.Latch)

Otpscope.record([file: Path.join(out, name), processes: :new], fn ->
  Task.async(fn ->
    {:ok, g} = :gen_statem.start(Scn.Gate, :ok, [])
    :gen_statem.cast(g, {:job, 1})
    :gen_statem.cast(g, {:job, 2})
    peek = Task.async(fn -> :gen_statem.call(g, :peek) end)
    Process.sleep(10)
    :gen_statem.cast(g, :poke)
    :gen_statem.cast(g, :open)
    3 = Task.await(peek)
    :gen_statem.cast(g, {:job, 1})
    4 = :gen_statem.call(g, :peek)
    :gen_statem.cast(g, :chain)
    :gen_statem.cast(g, :step2)
    12104 = :gen_statem.call(g, :peek)
    :gen_statem.cast(g, :timers)
    Process.sleep(60)
    12104 = :gen_statem.call(g, :peek, {:dirty_timeout, 1000})
    later = Task.async(fn -> :gen_statem.call(g, :later) end)
    Process.sleep(10)
    :gen_statem.cast(g, :answer)
    :answered = Task.await(later)
    :helped = :gen_statem.call(g, :helper)
    :gen_statem.cast(g, :again)
    :bye = :gen_statem.call(g, :stop)

    {:ok, s} = :gen_statem.start(Scn.Shelf, :ok, [])
    :gen_statem.cast(s, {:work, :a})
    :gen_statem.cast(s, {:work, :b})
    Process.sleep(40)
    {2, 2} = :gen_statem.call(s, :count)

    for mode <- [:postpone, :insert] do
      {:ok, l} = :gen_statem.start(Scn.Latch, mode, [])
      :gen_statem.cast(l, :job)
      :gen_statem.cast(l, :open)
      Process.sleep(5)
      send(l, :extra)
      Process.sleep(80)
    end
  end)
  |> Task.await()
end)
|> then(fn _ -> :ok end)

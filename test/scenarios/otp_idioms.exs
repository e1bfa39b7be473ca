# Everyday OTP idioms, each with a known outcome (the script checks it while it runs):
#   1. Scn.Counter: `:sys.replace_state/2` (5 -> 50) between callbacks, a cast (51), a replace_state whose fun
#      raises (the state stays 51), then a hot code upgrade (`:sys.suspend/1`, `:sys.change_code/4` calling its code_change/3: 51 -> {:v2, 51}, `:sys.resume/1`);
#   2. an Agent: three `Agent.get_and_update/2` (0 -> 3), an update (+10) and a get (13), then stopped;
#   3. `Task.async_stream/3` over 1..5 with `timeout: 100, on_timeout: :kill_task`: tasks 2 and 4 sleep past it and
#      are killed (`{:exit, :timeout}`), 1, 3 and 5 answer;
#   4. a DynamicSupervisor (`max_restarts: 2`) with Scn.Fragile, which crashes on `:boom`, and a healthy Scn.Calm:
#      the third crash is one restart too many, so the supervisor shuts down (reason `:shutdown`) and stops Scn.Calm
#      (`:shutdown`);
#   5. Scn.Ticker sets three `Process.send_after/3` timers in init ({:tick, 1..3}) and cancels the second: it handles
#      {:tick, 1} and {:tick, 3};
#   6. a plain process makes a request and waits for its answer with `receive {^ref, _}` while three `:noise`
#      messages wait in its mailbox (they stay there until it flushes them 50 ms later);
#   7. Scn.Big, a GenServer whose state is a 100 000-entry map (cut by the recorder's term limits);
#   8. calls to a GenServer named {:via, Registry, {Scn.Reg, :svc}} and to one named {:global, :scn_idioms_g};
#   9. Scn.Switch, a gen_statem: a call (on -> off, data 1), `:sys.replace_state/2` to {:on, 7}, a call (on -> off, 8).
# Records new processes only (the script's own process is not traced).
#   cd dump_tool && mix run ../test/scenarios/otp_idioms.exs
defmodule Scn.Counter do
  use GenServer
  def init(n), do: {:ok, n}
  def handle_call(:get, _from, s), do: {:reply, s, s}
  def handle_cast(:incr, s), do: {:noreply, s + 1}
  def code_change(_old, s, :v2), do: {:ok, {:v2, s}}
end

defmodule Scn.Fragile do
  use GenServer
  def start_link(_), do: GenServer.start_link(__MODULE__, :ok, name: Scn.Fragile)
  def init(:ok), do: {:ok, :fine}
  def handle_cast(:boom, _s), do: raise("boom")
end

defmodule Scn.Calm do
  use GenServer
  def start_link(_), do: GenServer.start_link(__MODULE__, :ok)
  def init(:ok), do: {:ok, :calm}
end

defmodule Scn.Ticker do
  use GenServer
  def init(:ok) do
    Process.send_after(self(), {:tick, 1}, 20)
    t2 = Process.send_after(self(), {:tick, 2}, 40)
    Process.send_after(self(), {:tick, 3}, 60)
    Process.cancel_timer(t2)
    {:ok, []}
  end

  def handle_info({:tick, n}, s), do: {:noreply, [n | s]}
  def handle_call(:ticks, _from, s), do: {:reply, Enum.reverse(s), s}
end

defmodule Scn.Big do
  use GenServer
  def init(n), do: {:ok, Map.new(1..n, &{&1, &1})}
  def handle_call(:size, _from, s), do: {:reply, map_size(s), s}
end

defmodule Scn.Named do
  use GenServer
  def init(tag), do: {:ok, {tag, 0}}
  def handle_call(:hit, _from, {tag, n}), do: {:reply, n + 1, {tag, n + 1}}
end

defmodule Scn.Switch do
  @behaviour :gen_statem
  def callback_mode, do: :state_functions
  def init(:ok), do: {:ok, :on, 0}
  def on({:call, from}, :flip, n), do: {:next_state, :off, n + 1, [{:reply, from, :off}]}
  def off({:call, from}, :flip, n), do: {:next_state, :on, n + 1, [{:reply, from, :on}]}
end

defmodule Scn.Asking do
  def ask do
    me = self()
    echo = spawn(fn -> receive do: ({:req, ref, from} -> Process.sleep(20); send(from, {ref, :answer})) end)
    for _ <- 1..3, do: send(me, :noise)
    ref = make_ref()
    send(echo, {:req, ref, me})
    answer = receive do: ({^ref, r} -> r)
    Process.sleep(50)
    for _ <- 1..3, do: (receive do: (:noise -> :ok))
    answer
  end
end

defmodule Scn.GiveUp do
  def run do
    {:ok, sup} = DynamicSupervisor.start_link(strategy: :one_for_one, max_restarts: 2, max_seconds: 5)
    Process.unlink(sup)
    sup_ref = Process.monitor(sup)
    {:ok, _} = DynamicSupervisor.start_child(sup, Scn.Calm)
    {:ok, _} = DynamicSupervisor.start_child(sup, Scn.Fragile)
    for round <- 1..3 do
      f = Process.whereis(Scn.Fragile)
      ref = Process.monitor(f)
      GenServer.cast(f, :boom)
      wait_down(ref)
      # wait for the restart, except after the last crash
      if round < 3, do: Stream.repeatedly(fn -> Process.sleep(1); Process.whereis(Scn.Fragile) end) |> Enum.find(&(&1 not in [nil, f]))
    end
    receive do: ({:DOWN, ^sup_ref, :process, _, reason} -> reason)
  end

  defp wait_down(ref), do: (receive do: ({:DOWN, ^ref, _, _, _} -> :ok))
end

out = System.get_env("OUT", "../test/fixtures/scenarios")
name = System.get_env("NAME", "otp-idioms.zip")
Enum.each([Scn.Counter, Scn.Fragile, Scn.Calm, Scn.Ticker, Scn.Big, Scn.Named, Scn.Switch], &Code.ensure_loaded/1)
:logger.set_primary_config(:level, :none)
{:ok, _} = Registry.start_link(keys: :unique, name: Scn.Reg)

Otpscope.record([file: Path.join(out, name), processes: :new], fn ->
  Task.async(fn ->
    # 1. replace_state and a hot upgrade
    {:ok, c} = GenServer.start(Scn.Counter, 5)
    5 = GenServer.call(c, :get)
    50 = :sys.replace_state(c, fn 5 -> 50 end)
    GenServer.cast(c, :incr)
    51 = GenServer.call(c, :get)
    # a fun that raises leaves the state as it was (the caller gets the error)
    {:callback_failed, _, _} = try do: :sys.replace_state(c, fn _ -> raise "no" end), rescue: (e in ErlangError -> e.original)
    51 = GenServer.call(c, :get)
    :ok = :sys.suspend(c)
    :ok = :sys.change_code(c, Scn.Counter, "1", :v2)
    :ok = :sys.resume(c)
    {:v2, 51} = GenServer.call(c, :get)
    {:v2, 51} = :sys.get_state(c)

    # 2. Agent
    {:ok, a} = Agent.start(fn -> 0 end)
    [0, 1, 2] = for _ <- 1..3, do: Agent.get_and_update(a, fn s -> {s, s + 1} end)
    :ok = Agent.update(a, &(&1 + 10))
    13 = Agent.get(a, & &1)
    :ok = Agent.stop(a)

    # 3. async_stream with tasks killed at their timeout
    [ok: 1, exit: :timeout, ok: 3, exit: :timeout, ok: 5] =
      Task.async_stream(1..5, fn i -> Process.sleep(if i in [2, 4], do: 500, else: 10); i end,
        timeout: 100, on_timeout: :kill_task, max_concurrency: 5)
      |> Enum.to_list()

    # 4. a supervisor giving up
    :shutdown = Scn.GiveUp.run()

    # 5. timers, one cancelled
    {:ok, t} = GenServer.start(Scn.Ticker, :ok)
    Process.sleep(120)
    [1, 3] = GenServer.call(t, :ticks)

    # 6. a selective receive on a reference while other messages wait
    :answer = Scn.Asking.ask()

    # 7. a huge state
    {:ok, big} = GenServer.start(Scn.Big, 100_000)
    100_000 = GenServer.call(big, :size)

    # 8. calls by via and global names
    {:ok, _} = GenServer.start(Scn.Named, :via, name: {:via, Registry, {Scn.Reg, :svc}})
    {:ok, _} = GenServer.start(Scn.Named, :global, name: {:global, :scn_idioms_g})
    1 = GenServer.call({:via, Registry, {Scn.Reg, :svc}}, :hit)
    2 = GenServer.call({:via, Registry, {Scn.Reg, :svc}}, :hit)
    1 = GenServer.call({:global, :scn_idioms_g}, :hit)

    # 9. replace_state on a gen_statem: its state is {state name, data}
    {:ok, d} = :gen_statem.start(Scn.Switch, :ok, [])
    :off = :gen_statem.call(d, :flip)
    {:on, 7} = :sys.replace_state(d, fn {:off, 1} -> {:on, 7} end)
    :off = :gen_statem.call(d, :flip)
    Process.sleep(20)
  end)
  |> Task.await(10_000)
end)
|> then(fn _ -> :ok end)

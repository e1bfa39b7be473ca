# Two faults of a running application, recorded with `processes: :all` after its tree started (as a user attaches to
# a live system), each outcome checked while it runs:
#   1. a crash loop: Scn.Fragile (started before the recording) raises on `:boom`, and each new instance raises again
#      10 ms after its init, until its supervisor (`max_restarts: 3`) gives up: 4 crashes, 3 restarts, the supervisor's
#      exit `:shutdown`;
#   2. a deadlock: Scn.PeerA and Scn.PeerB each call the other from their `handle_call` (timeout 100 ms), both give
#      up at their timeout and exit; their supervisor restarts them, and later the tree stops (`Supervisor.stop/1`).
#   cd dump_tool && mix run ../test/scenarios/app_faults.exs
defmodule ScnFaults do
  def catch_exit(f) do
    try do
      f.()
    catch
      :exit, r -> {:EXIT, r}
    end
  end
end

defmodule Scn.Fragile do
  use GenServer
  def start_link(_), do: GenServer.start_link(__MODULE__, :ok, name: __MODULE__)
  def init(:ok) do
    if :persistent_term.get(:scn_crash_loop, false), do: Process.send_after(self(), :boom, 10)
    {:ok, 0}
  end
  def handle_info(:boom, _), do: raise("fragile boom")
end

defmodule Scn.Peer do
  use GenServer
  def start_link(name), do: GenServer.start_link(__MODULE__, name, name: name)
  def child_spec(name), do: %{id: name, start: {__MODULE__, :start_link, [name]}}
  def init(name), do: {:ok, name}
  def handle_call({:ping, other}, _from, s), do: {:reply, GenServer.call(other, {:ping, s}, 100), s}
end

out = System.get_env("OUT", "../test/fixtures/scenarios")
name = System.get_env("NAME", "app-faults.zip")
:logger.set_primary_config(:level, :none)
Process.flag(:trap_exit, true)
{:ok, fragile_sup} = Supervisor.start_link([Scn.Fragile], strategy: :one_for_one, max_restarts: 3, max_seconds: 5)
{:ok, peers} = Supervisor.start_link([{Scn.Peer, Scn.PeerA}, {Scn.Peer, Scn.PeerB}], strategy: :one_for_one, max_restarts: 10)
Otpscope.record([file: Path.join(out, name)], fn ->
  # 1. the crash loop
  :persistent_term.put(:scn_crash_loop, true)
  send(Scn.Fragile, :boom)
  receive do
    {:EXIT, ^fragile_sup, :shutdown} -> :ok
  after
    2000 -> raise "the supervisor did not give up"
  end
  # 2. the deadlock
  a = Process.whereis(Scn.PeerA)
  b = Process.whereis(Scn.PeerB)
  callers = for {x, y} <- [{Scn.PeerA, Scn.PeerB}, {Scn.PeerB, Scn.PeerA}],
    do: Task.async(fn -> ScnFaults.catch_exit(fn -> GenServer.call(x, {:ping, y}, 1000) end) end)
  [{:EXIT, _}, {:EXIT, _}] = Enum.map(callers, &Task.await/1)
  Process.sleep(50)
  true = Process.whereis(Scn.PeerA) not in [nil, a] and Process.whereis(Scn.PeerB) not in [nil, b]
  :ok = Supervisor.stop(peers)
end)
|> then(fn _ -> :ok end)

# A day of a two-node cluster's recordings: each run of this script is one run of both nodes (this node, started
# with --sname runs_a, and a peer runs_b), and both record one archive each: day-a-RUN.zip and day-b-RUN.zip. Three
# runs make six archives of two node names, each name recorded by three OS processes, whose pids repeat from run to
# run (the same startup spawns the same processes). Run RUN makes RUN calls from a client on A to an Echo GenServer
# on B; run 2's worker on A crashes. Load the six together: each run's processes stay its own.
#   cd dump_tool && for r in 1 2 3; do RUN=$r elixir --sname runs_a -S mix run ../test/scenarios/day_runs.exs; done
out = Path.expand(System.get_env("OUT", "../test/fixtures/scenarios"))
run = String.to_integer(System.get_env("RUN", "1"))
:logger.set_primary_config(:level, :none)

[{Scn.DayEcho, echo_bin}, {Scn.DayRemote, remote_bin}] =
  Code.compile_string("""
  defmodule Scn.DayEcho do
    use GenServer
    def init(:ok), do: {:ok, %{echoed: 0}}
    def handle_call({:echo, x}, _from, s), do: {:reply, {:echo, x}, %{s | echoed: s.echoed + 1}}
  end
  defmodule Scn.DayRemote do
    # Runs on the peer: records until told to stop (the recording's owner must outlive the spawn).
    def run(parent, file) do
      {:ok, _} = Otpscope.start(file: file, processes: :new)
      {:ok, _} = GenServer.start(Scn.DayEcho, :ok, name: Scn.DayEcho)
      send(parent, {:remote_ready, self()})
      receive do
        :stop -> send(parent, {:remote_stopped, Otpscope.stop()})
      end
    end
  end
  """)
  |> Enum.sort()

{:ok, peer, b} = :peer.start(%{name: :runs_b, args: Enum.flat_map(:code.get_path(), &[~c"-pa", &1])})
for {m, bin} <- [{Scn.DayEcho, echo_bin}, {Scn.DayRemote, remote_bin}] do
  {:module, ^m} = :erpc.call(b, :code, :load_binary, [m, ~c"nofile", bin])
end

me = self()
Node.spawn(b, Scn.DayRemote, :run, [me, Path.join(out, "day-b-#{run}.zip")])
remote = receive do {:remote_ready, r} -> r end

{:ok, _} = Otpscope.start(file: Path.join(out, "day-a-#{run}.zip"), processes: :new)
Task.async(fn ->
  for i <- 1..run, do: {:echo, {^run, ^i}} = GenServer.call({Scn.DayEcho, b}, {:echo, {run, i}})
end)
|> Task.await()
worker = spawn(fn -> receive do {:work, n} -> if n == 2, do: raise("run #{n} fails"), else: :ok end end)
send(worker, {:work, run})
Process.sleep(20)
{:ok, _} = Otpscope.stop()
send(remote, :stop)
receive do {:remote_stopped, {:ok, _}} -> :ok end
:peer.stop(peer)

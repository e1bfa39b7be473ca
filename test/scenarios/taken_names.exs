# Names taken after a process's start by the process itself, by processes
# spawned while recorded that exit before the recording stops (so the facts
# at stop cannot read them, and their spawns do not carry them):
#   * workers started under a DynamicSupervisor without a name, each putting
#     itself in a unique Registry in its init/1 ({:job, n}), then stopped;
#   * a Task taking the :global name :scn_taken_global, then returning;
#   * a Task registering the local name :scn_taken_local, then returning;
#   * a Task taking a key in a duplicate Registry (no name), and one refused
#     a :global name another process holds (no name);
#   * a GenServer started under {:via, Registry, {Scn.TakenReg, :by_start}}
#     (its spawn tells the name: as before).
defmodule Scn.TakenWorker do
  use GenServer
  def start_link(n), do: GenServer.start_link(__MODULE__, n)

  def init(n) do
    {:ok, _} = Registry.register(Scn.TakenReg, {:job, n}, :meta)
    {:ok, n}
  end

  def handle_call(:n, _from, n), do: {:reply, n, n}
end

out = System.get_env("OUT", "../test/fixtures/scenarios")
name = System.get_env("NAME", "taken-names.zip")
Code.ensure_loaded(Scn.TakenWorker)
:logger.set_primary_config(:level, :none)
{:ok, _} = Registry.start_link(keys: :unique, name: Scn.TakenReg)
{:ok, _} = Registry.start_link(keys: :duplicate, name: Scn.TakenTopics)
{:ok, sup} = DynamicSupervisor.start_link(strategy: :one_for_one)
holder = spawn(fn -> receive do: (:stop -> :ok) end)
:yes = :global.register_name(:scn_taken_held, holder)

Otpscope.record([file: Path.join(out, name), processes: :new], fn ->
  workers =
    for n <- 1..3 do
      {:ok, pid} = DynamicSupervisor.start_child(sup, {Scn.TakenWorker, n})
      ^n = GenServer.call({:via, Registry, {Scn.TakenReg, {:job, n}}}, :n)
      pid
    end

  for pid <- workers, do: :ok = DynamicSupervisor.terminate_child(sup, pid)

  :yes = Task.async(fn -> :global.register_name(:scn_taken_global, self()) end) |> Task.await()
  true = Task.async(fn -> Process.register(self(), :scn_taken_local) end) |> Task.await()
  {:ok, _} = Task.async(fn -> Registry.register(Scn.TakenTopics, :news, nil) end) |> Task.await()
  :no = Task.async(fn -> :global.register_name(:scn_taken_held, self()) end) |> Task.await()

  {:ok, by_start} = GenServer.start(Scn.TakenWorker, 0, name: {:via, Registry, {Scn.TakenReg, :by_start}})
  :ok = GenServer.stop(by_start)
  Process.sleep(20)
end)

send(holder, :stop)

# Every kind of supervisor beside servers that only look like one, each with a
# worker that works: which processes supervise is told by their behaviour
# (initial call, callback module, recorded child type), never by a name.
#   - Scn.AppSupervisor: a module that `use Supervisor`, started before the
#     recording (its $initial_call read from its dictionary): `:supervisor` with
#     Scn.AppSupervisor as callback module.
#   - Scn.ErlSup: a module of the `:supervisor` behaviour, as an Erlang one is
#     written, started by `:supervisor.start_link/3` while recorded.
#   - Supervisor.start_link/2 (Supervisor.Default), a DynamicSupervisor, a
#     Task.Supervisor and a PartitionSupervisor, started while recorded.
#   - Scn.SupervisorClient and Scn.WatchSupervisor: GenServers whose names say
#     Supervisor; the second spawns linked watchers of its own. Neither supervises.
defmodule Scn.Worker do
  use GenServer
  def start_link(name), do: GenServer.start_link(__MODULE__, name, name: name)
  def init(name), do: {:ok, %{name: name, hits: 0}}
  def handle_call(:hit, _from, s), do: {:reply, s.hits + 1, %{s | hits: s.hits + 1}}
end

defmodule Scn.AppSupervisor do
  use Supervisor
  def start_link(_), do: Supervisor.start_link(__MODULE__, :ok, name: __MODULE__)
  def init(:ok), do: Supervisor.init([{Scn.Worker, Scn.AppWorker}], strategy: :one_for_one)
end

defmodule Scn.ErlSup do
  @behaviour :supervisor
  def init(:ok) do
    child = %{id: :erl_worker, start: {Scn.Worker, :start_link, [Scn.ErlWorker]}}
    {:ok, {%{strategy: :one_for_one}, [child]}}
  end
end

defmodule Scn.SupervisorClient do
  use GenServer
  def start_link(_), do: GenServer.start_link(__MODULE__, :ok, name: __MODULE__)
  def init(:ok), do: {:ok, 0}
  def handle_call({:hit, worker}, _from, n), do: {:reply, GenServer.call(worker, :hit), n + 1}
end

defmodule Scn.WatchSupervisor do
  use GenServer
  def start_link(_), do: GenServer.start_link(__MODULE__, :ok, name: __MODULE__)
  def init(:ok), do: {:ok, []}

  def handle_call(:watch, _from, watchers) do
    w = spawn_link(fn -> receive do: (:stop -> :ok) end)
    send(w, :hello)
    {:reply, w, [w | watchers]}
  end
end

out = System.get_env("OUT", "../test/fixtures/scenarios")
for m <- [Scn.Worker, Scn.AppSupervisor, Scn.ErlSup, Scn.SupervisorClient, Scn.WatchSupervisor], do: Code.ensure_loaded(m)
{:ok, app} = Scn.AppSupervisor.start_link(:ok)
Process.unlink(app)

Otpscope.record([file: Path.join(out, System.get_env("NAME", "supervisors.zip")), processes: :all], fn ->
  {:ok, erl} = :supervisor.start_link({:local, Scn.ErlSup}, Scn.ErlSup, :ok)
  {:ok, plain} = Supervisor.start_link([{Scn.Worker, Scn.PlainWorker}, Scn.SupervisorClient, Scn.WatchSupervisor], strategy: :one_for_one, name: Scn.Plain)
  {:ok, dyn} = DynamicSupervisor.start_link(strategy: :one_for_one, name: Scn.Dyn)
  {:ok, _} = DynamicSupervisor.start_child(Scn.Dyn, {Scn.Worker, Scn.DynWorker})
  {:ok, tasks} = Task.Supervisor.start_link(name: Scn.Tasks)
  {:ok, parts} = PartitionSupervisor.start_link(child_spec: Task.Supervisor, name: Scn.Parts, partitions: 2)
  for p <- [erl, plain, dyn, tasks, parts], do: Process.unlink(p)

  for w <- [Scn.AppWorker, Scn.ErlWorker, Scn.PlainWorker, Scn.DynWorker], do: GenServer.call(Scn.SupervisorClient, {:hit, w})
  watcher = GenServer.call(Scn.WatchSupervisor, :watch)
  send(watcher, :stop)
  :ok = Task.Supervisor.async(Scn.Tasks, fn -> GenServer.call(Scn.DynWorker, :hit) && :ok end) |> Task.await()
  :ok = Task.Supervisor.async({:via, PartitionSupervisor, {Scn.Parts, 1}}, fn -> GenServer.call(Scn.AppWorker, :hit) && :ok end) |> Task.await()
  Process.sleep(20)
end)

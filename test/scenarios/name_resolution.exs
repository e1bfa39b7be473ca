# Sends to registered names while the names change hands:
#   1. Scn.Keeper is registered before the recording starts (its name is known
#      only from the start facts); a client casts to it by name, stops it, a
#      new Scn.Keeper is started under the same name and gets the next cast.
#   2. Scn.Flaky, supervised and registered, crashes on :boom and is restarted
#      under its name while two clients keep casting :hit to the name.
#   3. A plain process registers :scn_box, gets a message sent to the name and
#      to {name, node}, unregisters it; a second process registers :scn_box
#      and gets the next ones.
#   4. {:global, name} and {:via, Registry, key} casts (the sender resolves
#      those to a pid before sending, so the trace shows the pid).
defmodule Scn.Keeper do
  use GenServer
  def init(tag), do: {:ok, %{tag: tag, seen: 0}}
  def handle_cast(:ping, s), do: {:noreply, %{s | seen: s.seen + 1}}
end

defmodule Scn.Flaky do
  use GenServer
  def start_link(_), do: GenServer.start_link(__MODULE__, :ok, name: Scn.Flaky)
  def init(:ok), do: {:ok, %{hits: 0}}
  def handle_cast({:hit, _from}, s), do: {:noreply, %{s | hits: s.hits + 1}}
  def handle_cast(:boom, _s), do: raise("boom")
  def handle_call(:hits, _from, s), do: {:reply, s.hits, s}
end

defmodule Scn.Box do
  # Registers `name`, takes `n` messages, unregisters, reports back.
  def run(name, n, parent) do
    Process.register(self(), name)
    send(parent, {:registered, self()})
    got = for _ <- 1..n, do: receive(do: ({:box, _} = m -> m))
    Process.unregister(name)
    send(parent, {:done, self(), got})
  end
end

out = System.get_env("OUT", "../test/fixtures/scenarios")
Enum.each([Scn.Keeper, Scn.Flaky, Scn.Box], &Code.ensure_loaded/1)
:logger.set_primary_config(:level, :none)
{:ok, _} = GenServer.start(Scn.Keeper, :first, name: Scn.Keeper)
{:ok, _} = Registry.start_link(keys: :unique, name: Scn.Reg)

Otpscope.record([file: Path.join(out, "name-resolution.zip"), processes: :new], fn ->
  # 1. a name held since before the recording, then by a new process
  Task.async(fn ->
    GenServer.cast(Scn.Keeper, :ping)
    :ok = GenServer.stop(Scn.Keeper)
    {:ok, _} = GenServer.start(Scn.Keeper, :second, name: Scn.Keeper)
    GenServer.cast(Scn.Keeper, :ping)
    GenServer.cast(Scn.Keeper, :ping)
  end)
  |> Task.await()

  # 2. a supervised worker restarted under its name while casts keep coming
  {:ok, sup} = Supervisor.start_link([Scn.Flaky], strategy: :one_for_one, max_restarts: 10, max_seconds: 5)
  Process.unlink(sup)

  clients =
    for c <- 1..2 do
      Task.async(fn ->
        for i <- 1..12 do
          GenServer.cast(Scn.Flaky, {:hit, c})
          if c == 1 and i in [4, 8], do: GenServer.cast(Scn.Flaky, :boom)
          Process.sleep(3)
        end
      end)
    end

  Enum.each(clients, &Task.await/1)
  Process.sleep(10)
  Task.async(fn -> GenServer.call(Scn.Flaky, :hits) end) |> Task.await()

  # 3. a plain name, unregistered and taken by another process; {name, node} too
  Task.async(fn ->
    me = self()
    b1 = spawn(Scn.Box, :run, [:scn_box, 2, me])
    receive do {:registered, ^b1} -> :ok end
    send(:scn_box, {:box, 1})
    send({:scn_box, node()}, {:box, 2})
    receive do {:done, ^b1, _} -> :ok end
    b2 = spawn(Scn.Box, :run, [:scn_box, 2, me])
    receive do {:registered, ^b2} -> :ok end
    send(:scn_box, {:box, 3})
    send({:scn_box, node()}, {:box, 4})
    receive do {:done, ^b2, _} -> :ok end
    # nobody holds the name now: the send raises badarg
    try do
      send(:scn_box, {:box, 5})
    rescue
      ArgumentError -> :ok
    end
  end)
  |> Task.await()

  # 4. :global and :via names
  Task.async(fn ->
    {:ok, g} = GenServer.start(Scn.Keeper, :global, name: {:global, :scn_keeper})
    {:ok, v} = GenServer.start(Scn.Keeper, :via, name: {:via, Registry, {Scn.Reg, :keeper}})
    GenServer.cast({:global, :scn_keeper}, :ping)
    GenServer.cast({:via, Registry, {Scn.Reg, :keeper}}, :ping)
    _ = :sys.get_state(g)
    _ = :sys.get_state(v)
  end)
  |> Task.await()

  Process.sleep(10)
end)

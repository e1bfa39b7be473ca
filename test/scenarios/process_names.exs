# Processes known by names other than a registered one:
#   1. before the recording: a GenServer started as {:global, :scn_global},
#      one as {:via, Registry, {Scn.NameReg, {:conn, 1}}}, a plain process
#      that put itself in the Registry ("plain"), one with a registered name
#      and a :global name too (the registered name wins), one with only a
#      duplicate Registry key (no name), and on OTP 27 one with a proc_lib
#      label {:worker, 1};
#   2. while recorded: a GenServer started as {:via, Registry, {Scn.NameReg,
#      {:conn, 2}}} is called and stopped (its name comes from its start), one
#      started as {:global, :scn_global_2} is called and lives on, a process
#      alive since before takes the :global name :scn_late, and on OTP 27 a
#      process labelled {:worker, 2} is started.
defmodule Scn.Named do
  use GenServer
  def init(tag), do: {:ok, tag}
  def handle_call(:tag, _from, tag), do: {:reply, tag, tag}
end

defmodule Scn.Holder do
  # Runs `setup` (a name, a label), reports back, then answers :ping until :stop.
  def start(setup) do
    parent = self()

    pid =
      spawn(fn ->
        setup.()
        send(parent, {:ready, self()})
        loop()
      end)

    receive do: ({:ready, ^pid} -> pid)
  end

  def loop do
    receive do
      {:ping, from} ->
        send(from, {:pong, self()})
        loop()

      {:run, fun} ->
        fun.()
        loop()

      :stop ->
        :ok
    end
  end

  def label(label) do
    if function_exported?(:proc_lib, :set_label, 1), do: apply(:proc_lib, :set_label, [label])
  end
end

out = System.get_env("OUT", "../test/fixtures/scenarios")
name = System.get_env("NAME", "process-names.zip")
Enum.each([Scn.Named, Scn.Holder], &Code.ensure_loaded/1)
:logger.set_primary_config(:level, :none)
{:ok, _} = Registry.start_link(keys: :unique, name: Scn.NameReg)
{:ok, _} = Registry.start_link(keys: :duplicate, name: Scn.Topics)
{:ok, global} = GenServer.start(Scn.Named, :global, name: {:global, :scn_global})
{:ok, via} = GenServer.start(Scn.Named, :via, name: {:via, Registry, {Scn.NameReg, {:conn, 1}}})
plain = Scn.Holder.start(fn -> {:ok, _} = Registry.register(Scn.NameReg, "plain", nil) end)

both =
  Scn.Holder.start(fn ->
    Process.register(self(), :scn_local)
    :yes = :global.register_name(:scn_also_global, self())
  end)

topic = Scn.Holder.start(fn -> {:ok, _} = Registry.register(Scn.Topics, :news, nil) end)
labelled = Scn.Holder.start(fn -> Scn.Holder.label({:worker, 1}) end)
late = Scn.Holder.start(fn -> :ok end)

Otpscope.record([file: Path.join(out, name), processes: :new], fn ->
  # 1. those named before the recording, each sent to from a recorded process
  Task.async(fn ->
    :global = GenServer.call({:global, :scn_global}, :tag)
    :via = GenServer.call({:via, Registry, {Scn.NameReg, {:conn, 1}}}, :tag)

    for pid <- [plain, both, topic, labelled, late] do
      send(pid, {:ping, self()})
      receive do: ({:pong, ^pid} -> :ok)
    end
  end)
  |> Task.await()

  # 2. named while recorded
  {:ok, conn2} = GenServer.start(Scn.Named, :conn2, name: {:via, Registry, {Scn.NameReg, {:conn, 2}, :meta}})
  {:ok, global2} = GenServer.start(Scn.Named, :global2, name: {:global, :scn_global_2})

  Task.async(fn ->
    :conn2 = GenServer.call({:via, Registry, {Scn.NameReg, {:conn, 2}}}, :tag)
    :global2 = GenServer.call({:global, :scn_global_2}, :tag)
  end)
  |> Task.await()

  :ok = GenServer.stop(conn2)
  me = self()
  send(late, {:run, fn -> :yes = :global.register_name(:scn_late, late); send(me, :late) end})
  receive do: (:late -> :ok)
  labelled2 = Scn.Holder.start(fn -> Scn.Holder.label({:worker, 2}) end)

  Task.async(fn ->
    for pid <- [late, labelled2] do
      send(pid, {:ping, self()})
      receive do: ({:pong, ^pid} -> :ok)
    end
  end)
  |> Task.await()

  Process.sleep(20)
  {global2, labelled2}
end)

for pid <- [plain, both, topic, labelled, late], do: send(pid, :stop)
for pid <- [global, via], do: GenServer.stop(pid)

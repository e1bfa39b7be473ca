# Two recorded nodes, and one of them going down: this node (run with --sname) starts a peer node b; both record
# (one archive each, processes: :new). Here a client calls Scn.Holder, registered on b (answered), then:
#   - a watcher monitors Scn.Holder by pid and by {name, node}, monitors node b (:erlang.monitor_node/2), and links
#     to a process on b while trapping exits;
#   - a second client calls Scn.Holder with :hang, which it never answers;
# then b stops recording and halts: the watcher gets two :DOWN with :noconnection, {:nodedown, b} and
# {:EXIT, pid, :noconnection}; the waiting caller exits with {:nodedown, b} (caught) after its monitor's :DOWN.
# Load both archives together.
#   cd dump_tool && elixir --sname scn_nodedown -S mix run ../test/scenarios/node_down.exs
out = Path.expand(System.get_env("OUT", "../test/fixtures/scenarios"))

[{Scn.Holder, holder_bin}, {Scn.Remote, remote_bin}] =
  Code.compile_string("""
  defmodule Scn.Holder do
    use GenServer
    def init(:ok), do: {:ok, []}
    def handle_call(:ping, _from, s), do: {:reply, :pong, s}
    def handle_call(:hang, from, s), do: {:noreply, [from | s]}
  end
  defmodule Scn.Remote do
    # Runs on b: records until told to stop, then halts the node.
    def run(parent, file) do
      {:ok, _} = Otpscope.start(file: file, processes: :new)
      {:ok, h} = GenServer.start(Scn.Holder, :ok, name: Scn.Holder)
      linked = spawn(fn -> receive do: (:never -> :ok) end)
      send(parent, {:remote_ready, self(), h, linked})
      receive do
        :stop ->
          send(parent, {:remote_stopped, Otpscope.stop()})
          Process.sleep(50)
          :erlang.halt()
      end
    end
  end
  """)
  |> Enum.sort()

{:ok, _peer, b} = :peer.start(%{name: :"#{node() |> to_string() |> String.split("@") |> hd()}_b_#{System.unique_integer([:positive])}", args: Enum.flat_map(:code.get_path(), &[~c"-pa", &1])})
for {m, bin} <- [{Scn.Holder, holder_bin}, {Scn.Remote, remote_bin}] do
  {:module, ^m} = :erpc.call(b, :code, :load_binary, [m, ~c"nofile", bin])
end

me = self()
Node.spawn(b, Scn.Remote, :run, [me, Path.join(out, "node-down-b.zip")])
{remote, holder, linked} = receive do: ({:remote_ready, r, h, l} -> {r, h, l})

{:ok, _} = Otpscope.start(file: Path.join(out, "node-down-a.zip"), processes: :new)

:pong = Task.async(fn -> GenServer.call({Scn.Holder, b}, :ping) end) |> Task.await()

watcher =
  Task.async(fn ->
    Process.flag(:trap_exit, true)
    by_pid = Process.monitor(holder)
    by_name = Process.monitor({Scn.Holder, b})
    true = :erlang.monitor_node(b, true)
    Process.link(linked)
    send(me, :watching)
    got = for _ <- 1..4, do: (receive do: (m -> m))
    {by_pid, by_name, got}
  end)

receive do: (:watching -> :ok)
hanging =
  Task.async(fn ->
    try do
      GenServer.call({Scn.Holder, b}, :hang, 10_000)
    catch
      :exit, reason -> {:exited, reason}
    end
  end)

Process.sleep(50)
send(remote, :stop)
receive do: ({:remote_stopped, {:ok, _}} -> :ok)
{:exited, {{:nodedown, ^b}, _}} = Task.await(hanging, 5_000)
{by_pid, by_name, got} = Task.await(watcher, 5_000)
true = {:DOWN, by_pid, :process, holder, :noconnection} in got
true = {:DOWN, by_name, :process, {Scn.Holder, b}, :noconnection} in got
true = {:nodedown, b} in got
true = {:EXIT, linked, :noconnection} in got
Process.sleep(20)
{:ok, _} = Otpscope.stop()

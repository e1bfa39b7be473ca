# Two recorded nodes whose recordings do not cover the same time, and remote
# calls into one of them. This node (run with --sname) records (processes:
# :new) while its Scn.Pinger sends {:ping, n} to a process registered as
# :scn_sink on a peer node every 2 ms; the peer records (every process) for
# a shorter window inside this one, and meanwhile this node calls into it:
# erpc (and rpc, which runs on it) spawns a process on the callee's node per
# call, and that process hands the result back as its exit reason, {ref,
# :return, result}; a call whose function raised exits with {ref, :error,
# reason, stack}. Load both archives together.
#   cd dump_tool && elixir --sname scn_edges -S mix run ../test/scenarios/remote_edges.exs
out = Path.expand(System.get_env("OUT", "../test/fixtures/scenarios"))

[{Scn.EdgesRemote, remote_bin}] =
  Code.compile_string("""
  defmodule Scn.EdgesRemote do
    def sink, do: (receive do _ -> :ok end; sink())
    # Runs on the peer: records until told to stop (the recording's owner must outlive the rpc).
    def run(parent, file) do
      Process.register(spawn(&sink/0), :scn_sink)
      receive do :start -> :ok end
      {:ok, _} = Otpscope.start(file: file, start_states: false)
      send(parent, :remote_started)
      receive do :stop -> send(parent, {:remote_stopped, Otpscope.stop()}) end
    end
  end
  """)

defmodule Scn.Pinger do
  def loop(b, n) do
    send({:scn_sink, b}, {:ping, n})
    receive do
      :stop -> :ok
    after
      2 -> loop(b, n + 1)
    end
  end
end

{:ok, peer, b} = :peer.start(%{name: :scn_edges_b, args: Enum.flat_map(:code.get_path(), &[~c"-pa", &1])})
{:module, Scn.EdgesRemote} = :erpc.call(b, :code, :load_binary, [Scn.EdgesRemote, ~c"nofile", remote_bin])

me = self()
remote = Node.spawn(b, Scn.EdgesRemote, :run, [me, Path.join(out, "remote-edges-b.zip")])
{:ok, _} = Otpscope.start(file: Path.join(out, "remote-edges-a.zip"), processes: :new)

pinger = spawn(fn -> Scn.Pinger.loop(b, 1) end)

Process.sleep(30)
send(remote, :start)
receive do :remote_started -> :ok end
^b = :erpc.call(b, :erlang, :node, [])
6 = :rpc.call(b, Enum, :sum, [[1, 2, 3]])
{:badrpc, {:EXIT, {:badarith, _}}} = :rpc.call(b, :erlang, :/, [1, 0])
Process.sleep(30)
send(remote, :stop)
receive do {:remote_stopped, {:ok, _}} -> :ok end
Process.sleep(30)
send(pinger, :stop)
{:ok, _} = Otpscope.stop()
:peer.stop(peer)

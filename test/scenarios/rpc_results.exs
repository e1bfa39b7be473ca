# Remote calls into a recorded node: erpc (and rpc, which runs on it) spawns a
# process on the callee's node per call, and that process hands the result
# back as its exit reason, {ref, :return, result}; a call whose function
# raised exits with {ref, :error, reason, stack}. This node (run with
# --sname) starts a peer that records (processes: :new) and calls into it.
#   cd dump_tool && elixir --sname scn_rpc -S mix run ../test/scenarios/rpc_results.exs
out = Path.expand(System.get_env("OUT", "../test/fixtures/scenarios"))

[{Scn.RpcRemote, remote_bin}] =
  Code.compile_string("""
  defmodule Scn.RpcRemote do
    # Runs on the peer: records until told to stop (the recording's owner must outlive the rpc).
    def run(parent, file) do
      {:ok, _} = Otpscope.start(file: file, processes: :new)
      send(parent, {:remote_ready, self()})
      receive do
        :stop -> send(parent, {:remote_stopped, Otpscope.stop()})
      end
    end
  end
  """)

{:ok, peer, b} = :peer.start(%{name: :scn_rpc_b, args: Enum.flat_map(:code.get_path(), &[~c"-pa", &1])})
{:module, Scn.RpcRemote} = :erpc.call(b, :code, :load_binary, [Scn.RpcRemote, ~c"nofile", remote_bin])

me = self()
Node.spawn(b, Scn.RpcRemote, :run, [me, Path.join(out, "rpc-results.zip")])
remote = receive do {:remote_ready, r} -> r end

^b = :erpc.call(b, :erlang, :node, [])
6 = :rpc.call(b, Enum, :sum, [[1, 2, 3]])
{:badrpc, {:EXIT, {:badarith, _}}} = :rpc.call(b, :erlang, :/, [1, 0])
Process.sleep(20)
send(remote, :stop)
receive do {:remote_stopped, {:ok, _}} -> :ok end
:peer.stop(peer)

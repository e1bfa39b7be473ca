# A cross-node exchange: this node (run with --sname) starts a peer node,
# both record (one archive each), and a client here calls and messages an
# Echo GenServer registered on the peer. Load both archives together.
#   cd dump_tool && elixir --sname scn_a -S mix run ../test/scenarios/cross_node.exs
out = Path.expand(System.get_env("OUT", "../test/fixtures/scenarios"))

[{Scn.Echo, echo_bin}, {Scn.Remote, remote_bin}] =
  Code.compile_string("""
  defmodule Scn.Echo do
    use GenServer
    def init(:ok), do: {:ok, %{echoed: 0}}
    def handle_call({:echo, x}, _from, s), do: {:reply, {:echo, x}, %{s | echoed: s.echoed + 1}}
    def handle_info({:note, from, n}, s), do: (send(from, {:noted, n}); {:noreply, s})
  end
  defmodule Scn.Remote do
    # Runs on the peer: records until told to stop (the recording's owner must outlive the rpc).
    def run(parent, file) do
      {:ok, _} = Otpscope.start(file: file, processes: :new)
      {:ok, _} = GenServer.start(Scn.Echo, :ok, name: Scn.Echo)
      send(parent, {:remote_ready, self()})
      receive do
        :stop -> send(parent, {:remote_stopped, Otpscope.stop()})
      end
    end
  end
  """)
  |> Enum.sort()

{:ok, peer, b} = :peer.start(%{name: :scn_b, args: Enum.flat_map(:code.get_path(), &[~c"-pa", &1])})
for {m, bin} <- [{Scn.Echo, echo_bin}, {Scn.Remote, remote_bin}] do
  {:module, ^m} = :erpc.call(b, :code, :load_binary, [m, ~c"nofile", bin])
end
:code.load_binary(Scn.Echo, ~c"nofile", echo_bin)

me = self()
Node.spawn(b, Scn.Remote, :run, [me, Path.join(out, "cross-node-b.zip")])
remote = receive do {:remote_ready, r} -> r end

{:ok, _} = Otpscope.start(file: Path.join(out, "cross-node-a.zip"), processes: :new)
Task.async(fn ->
  {:echo, "hi"} = GenServer.call({Scn.Echo, b}, {:echo, "hi"})
  send({Scn.Echo, b}, {:note, self(), 1})
  receive do {:noted, 1} -> :ok end
  {:echo, 2} = GenServer.call({Scn.Echo, b}, {:echo, 2})
end)
|> Task.await()
Process.sleep(20)
{:ok, _} = Otpscope.stop()
send(remote, :stop)
receive do {:remote_stopped, {:ok, _}} -> :ok end
:peer.stop(peer)

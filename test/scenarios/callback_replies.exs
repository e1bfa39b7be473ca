# Messages a callback's own helpers take from its mailbox, which no callback
# ever handles: the code server's replies when a callback makes a module load
# (`{:code_server, {:module, M}}`), and the port's `{:inet_reply, port, :ok}`
# after gen_tcp.send/2. They must read as taken when received, not as left
# in the mailbox (the `unconsumed` anomaly).
defmodule Scn.Helper do
  use GenServer
  def init(:ok), do: {:ok, %{loaded: [], sent: 0}}

  def handle_call({:load, m}, _from, s) do
    {:module, ^m} = Code.ensure_loaded(m)
    {:reply, :ok, %{s | loaded: [m | s.loaded]}}
  end

  def handle_call({:send, sock, data}, _from, s), do: {:reply, :gen_tcp.send(sock, data), %{s | sent: s.sent + 1}}
end

out = System.get_env("OUT", "../test/fixtures/scenarios")
Code.ensure_loaded(Scn.Helper)
# Modules of the standard library a fresh `mix run` has not loaded.
unloaded = Enum.reject([:digraph_utils, :erl_tar, :ms_transform], &:code.is_loaded/1)
true = unloaded != []
{:ok, listen} = :gen_tcp.listen(0, [:binary, active: false])
{:ok, port} = :inet.port(listen)

Otpscope.record([file: Path.join(out, "callback-replies.zip"), processes: :all], fn ->
  {:ok, srv} = GenServer.start(Scn.Helper, :ok)
  for m <- unloaded, do: :ok = GenServer.call(srv, {:load, m})
  {:ok, sock} = :gen_tcp.connect(~c"127.0.0.1", port, [:binary, active: false])
  :ok = :gen_tcp.controlling_process(sock, srv)
  {:ok, peer} = :gen_tcp.accept(listen)
  for i <- 1..3, do: :ok = GenServer.call(srv, {:send, sock, "line #{i}\n"})
  {:ok, _} = :gen_tcp.recv(peer, 0)
  Process.sleep(20)
end)

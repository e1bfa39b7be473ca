# Node a of record.sh: connects to b, then every 100 ms an :erpc.call to b, an :erpc.multicall to b and itself, an
# :erpc.call that raises on b (caught), and a GenServer.call to {BServer, b}.
defmodule Loop do
  def run(b, i) do
    _ = :erpc.call(b, :erlang, :node, [])
    _ = :erpc.multicall([b, node()], String, :upcase, ["x#{i}"])
    _ = try do :erpc.call(b, :erlang, :error, [:boom]) catch :error, e -> e end
    _ = GenServer.call({BServer, b}, {:inc, i})
    Process.sleep(100)
    run(b, i + 1)
  end
end
b = :"b@#{hd(tl(String.split(to_string(node()), "@")))}"
true = Node.connect(b)
Process.sleep(300)
Process.register(spawn(fn -> Loop.run(b, 0) end), :a_loop)
Process.sleep(:infinity)

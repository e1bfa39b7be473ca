# Node b of record.sh: BServer, called from node a by {name, node}.
defmodule BServer do
  use GenServer
  def init(n), do: {:ok, n}
  def handle_call({:inc, i}, _from, n), do: {:reply, n + i, n + i}
end
{:ok, _} = GenServer.start(BServer, 0, name: BServer)
Process.sleep(:infinity)

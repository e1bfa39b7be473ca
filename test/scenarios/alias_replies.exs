# Replies sent to an alias that is not a GenServer call's: Task.async/await (the
# task replies {ref, result} to the alias its owner made), :sys.get_state (a
# system call, tag [:alias | ref]) and a gen_event call; plus an explicit
# :erlang.alias/0. Each send goes to a reference; the analyzer must still pair
# it with the receive of the process that owns the alias.
defmodule Scn.Counter do
  use GenServer
  def init(n), do: {:ok, n}
  def handle_call(:get, _from, n), do: {:reply, n, n}
end

defmodule Scn.Sum do
  @behaviour :gen_event
  def init(n), do: {:ok, n}
  def handle_event({:add, k}, n), do: {:ok, n + k}
  def handle_call(:get, n), do: {:ok, n, n}
  def handle_info(_, n), do: {:ok, n}
end

out = System.get_env("OUT", "../test/fixtures/scenarios")

Otpscope.record([file: Path.join(out, "alias-replies.zip"), processes: :all], fn ->
  t = Task.async(fn -> :task_result end)
  :task_result = Task.await(t)
  {:ok, c} = GenServer.start(Scn.Counter, 41)
  41 = :sys.get_state(c)
  41 = GenServer.call(c, :get)
  {:ok, em} = :gen_event.start()
  :ok = :gen_event.add_handler(em, Scn.Sum, 0)
  :ok = :gen_event.sync_notify(em, {:add, 2})
  2 = :gen_event.call(em, Scn.Sum, :get)
  me = self()
  a = :erlang.alias()
  spawn(fn -> send(a, {:via_alias, 1}); send(me, :done) end)
  receive do: ({:via_alias, 1} -> :ok)
  receive do: (:done -> :ok)
  :erlang.unalias(a)
  Process.sleep(20)
end)

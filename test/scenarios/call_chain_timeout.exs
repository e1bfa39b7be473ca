# A call chain with a timeout: a client calls Front, Front calls Back.
# The first request is fast; the second makes Back sleep 100 ms while the
# client only waits 50 ms: the client's call times out (caught), Front's
# reply comes late (an orphan reply), and Front's own call to Back is slow.
# Also one {:ping, pid, text} call that gets its reply.
defmodule Scn.Back do
  use GenServer
  def init(:ok), do: {:ok, %{computed: 0}}
  def handle_call({:compute, :slow}, _from, s), do: (Process.sleep(100); {:reply, :late, %{s | computed: s.computed + 1}})
  def handle_call({:compute, x}, _from, s), do: {:reply, x * 2, %{s | computed: s.computed + 1}}
end

defmodule Scn.Front do
  use GenServer
  def init(back), do: {:ok, %{back: back, served: 0}}
  def handle_call({:ping, _pid, text}, _from, s), do: {:reply, {:pong, text}, s}
  def handle_call({:work, x}, _from, s) do
    r = GenServer.call(s.back, {:compute, x})
    {:reply, r, %{s | served: s.served + 1}}
  end
end

out = System.get_env("OUT", "../test/fixtures/scenarios")
Enum.each([Scn.Back, Scn.Front], &Code.ensure_loaded/1)

Otpscope.record([file: Path.join(out, "call-chain-timeout.zip"), processes: :new], fn ->
  {:ok, back} = GenServer.start(Scn.Back, :ok)
  {:ok, front} = GenServer.start(Scn.Front, back)
  client = Task.async(fn ->
    42 = GenServer.call(front, {:work, 21})
    {:pong, "hello"} = GenServer.call(front, {:ping, self(), "hello"})
    r = try do
      GenServer.call(front, {:work, :slow}, 50)
    catch
      :exit, {:timeout, _} -> :timed_out
    end
    send(front, :done_waiting)
    r
  end)
  :timed_out = Task.await(client)
  Process.sleep(150)
end)

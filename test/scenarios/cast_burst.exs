# A burst of casts to a slow server: a producer casts 80 jobs at once to a
# GenServer that needs ~5 ms per job, so its queue drains over ~400 ms; a
# client's call waits behind the backlog (a ~400 ms call), then a second call
# is answered at once. The queue length read at any instant (mailbox_at, the
# State view) and the Charts' mailbox series must agree.
defmodule Scn.Backlog do
  use GenServer
  def init(:ok), do: {:ok, %{done: 0}}
  def handle_cast({:job, _n}, s), do: (Process.sleep(5); {:noreply, %{s | done: s.done + 1}})
  def handle_call(:quick, _from, s), do: {:reply, s.done, s}
end

out = System.get_env("OUT", "../test/fixtures/scenarios")
Code.ensure_loaded(Scn.Backlog)

Otpscope.record([file: Path.join(out, "cast-burst.zip"), processes: :new], fn ->
  {:ok, srv} = GenServer.start(Scn.Backlog, :ok)
  spawn(fn -> for n <- 1..80, do: GenServer.cast(srv, {:job, n}) end)

  client =
    Task.async(fn ->
      Process.sleep(5)
      first = GenServer.call(srv, :quick, 5_000)
      second = GenServer.call(srv, :quick)
      {first, second}
    end)

  {_, _} = Task.await(client, 5_000)
  Process.sleep(20)
end)

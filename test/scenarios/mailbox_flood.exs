# A mailbox flood: a producer sends 300 jobs at once to a consumer that needs
# ~2 ms per job; the recording stops while most are still queued.
defmodule Scn.Slow do
  use GenServer
  def init(:ok), do: {:ok, %{done: 0}}
  def handle_info({:job, _n}, s), do: (Process.sleep(2); {:noreply, %{s | done: s.done + 1}})
end

out = System.get_env("OUT", "../test/fixtures/scenarios")
Code.ensure_loaded(Scn.Slow)

Otpscope.record([file: Path.join(out, "mailbox-flood.zip"), processes: :new], fn ->
  {:ok, consumer} = GenServer.start(Scn.Slow, :ok)
  producer = spawn(fn -> for n <- 1..300, do: send(consumer, {:job, n}) end)
  _ = producer
  Process.sleep(150)
end)

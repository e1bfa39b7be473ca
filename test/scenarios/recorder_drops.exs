# The recorder dropping events: a flood over max_rate (400 events/s) while a
# client calls a GenServer 100 times and a flooder sends 300 messages to a
# sink. Past the 400th event of the rate window the recorder drops every
# event until the window ends (the archive's :drops record says from when to
# when): calls whose reply, and messages whose receive, fell in the window
# were answered and received, but the trace does not show it. Both then wait
# past the window and send a last traced message, so the client is seen to go
# on after its last call.
defmodule Scn.Tally do
  use GenServer
  def init(:ok), do: {:ok, 0}
  def handle_call(:bump, _from, n), do: {:reply, n + 1, n + 1}
end

defmodule Scn.Sink do
  def loop do
    receive do
      :stop -> :ok
      _ -> loop()
    end
  end
end

out = System.get_env("OUT", "../test/fixtures/scenarios")
Code.ensure_loaded(Scn.Tally)
Code.ensure_loaded(Scn.Sink)
:logger.set_primary_config(:level, :none)

Otpscope.record([file: Path.join(out, "recorder-drops.zip"), processes: :new, max_rate: 400], fn ->
  me = self()
  {:ok, srv} = GenServer.start(Scn.Tally, :ok)
  sink = spawn(&Scn.Sink.loop/0)

  client =
    spawn(fn ->
      receive do: (:go -> :ok)
      for _ <- 1..100, do: GenServer.call(srv, :bump)
      Process.sleep(1_500)
      send(me, :called)
    end)

  flooder =
    spawn(fn ->
      receive do: (:go -> :ok)
      for i <- 1..300, do: send(sink, {:item, i})
      Process.sleep(1_500)
      send(me, :flooded)
    end)

  send(client, :go)
  send(flooder, :go)
  receive do: (:called -> :ok)
  receive do: (:flooded -> :ok)
  send(sink, :stop)
  Process.sleep(50)
end)

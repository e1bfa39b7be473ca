# A callback whose return the recorder dropped: a GenServer's handle_call
# sends 600 messages to a sink while the recorder's max_rate is 400 events/s.
# The call event is traced; past the rate window's 400th event the recorder
# drops every event until the window ends, the callback's return among them.
# The client then waits past the window and sends a last traced message, so
# the trace goes on well after the span's drop window. A second call after the
# window returns traced, the span to compare with.
defmodule Scn.Fanout do
  use GenServer
  def init(sink), do: {:ok, sink}

  def handle_call(:fan, _from, sink) do
    for i <- 1..600, do: send(sink, {:item, i})
    {:reply, :ok, sink}
  end

  def handle_call(:ping, _from, sink), do: {:reply, :pong, sink}
end

out = System.get_env("OUT", "../test/fixtures/scenarios")
Code.ensure_loaded(Scn.Fanout)
:logger.set_primary_config(:level, :none)

Otpscope.record([file: Path.join(out, "span-drops.zip"), processes: :new, max_rate: 400], fn ->
  me = self()
  # takes only :stop: the items stay in its mailbox until it exits
  sink = spawn(fn -> receive do: (:stop -> :ok) end)
  {:ok, srv} = GenServer.start(Scn.Fanout, sink)
  # past the rate window of the starts
  Process.sleep(1_200)

  client =
    spawn(fn ->
      receive do: (:go -> :ok)
      :ok = GenServer.call(srv, :fan)
      Process.sleep(1_500)
      :pong = GenServer.call(srv, :ping)
      send(me, :called)
    end)

  send(client, :go)
  receive do: (:called -> :ok)
  send(sink, :stop)
  Process.sleep(50)
end)

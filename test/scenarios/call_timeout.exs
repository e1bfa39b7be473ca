# Calls that time out, and a caller that does nothing for a while after:
#   1. a client calls :quick (answered), then {:slow, 120} with a 40 ms
#      timeout; it catches the timeout and sleeps 300 ms before its next
#      traced step. The call ends when the client gave up (40 ms), not at
#      its next step; the late reply goes to the call's alias, which the
#      client deactivated when it gave up (OTP 24+), so the runtime drops it.
#   2. a plain process calls {:slow, 60} with a 20 ms timeout and does not
#      catch: it exits with {:timeout, ...} right after giving up.
defmodule Scn.Sluggish do
  use GenServer
  def init(:ok), do: {:ok, %{served: 0}}
  def handle_call(:quick, _from, s), do: {:reply, :ok, %{s | served: s.served + 1}}
  def handle_call({:slow, ms}, _from, s), do: (Process.sleep(ms); {:reply, :late, %{s | served: s.served + 1}})
end

out = System.get_env("OUT", "../test/fixtures/scenarios")
Code.ensure_loaded(Scn.Sluggish)
:logger.set_primary_config(:level, :none)

Otpscope.record([file: Path.join(out, "call-timeout.zip"), processes: :new], fn ->
  {:ok, srv} = GenServer.start(Scn.Sluggish, :ok)

  client =
    Task.async(fn ->
      :ok = GenServer.call(srv, :quick)

      r =
        try do
          GenServer.call(srv, {:slow, 120}, 40)
        catch
          :exit, {:timeout, _} -> :timed_out
        end

      Process.sleep(300)
      send(self(), :went_on)
      receive do :went_on -> r end
    end)

  :timed_out = Task.await(client)
  spawn(fn -> GenServer.call(srv, {:slow, 60}, 20) end)
  Process.sleep(150)
end)

# GenServer.multi_call to this node and a peer node (not traced) where no
# process has the server's name: the peer answers nothing, the caller's
# monitor of {name, peer} brings :noproc and the peer is among the bad nodes.
# Once with no timeout (gen:call-style requests from the caller) and once
# with one (OTP 25 spawns a middleman for it).
# Needs a node name (the peer node):
#   cd dump_tool && elixir --sname scn_missing -S mix run ../test/scenarios/multi_call_missing.exs
defmodule Scn.Named do
  use GenServer
  def init(:ok), do: {:ok, nil}
  def handle_call(:ping, _from, s), do: {:reply, :pong, s}
end

out = System.get_env("OUT", "../test/fixtures/scenarios")
name = System.get_env("NAME", "multi-call-missing.zip")
{:ok, peer, b} = :peer.start(%{name: :"scn_missing_b_#{System.unique_integer([:positive])}", args: Enum.flat_map(:code.get_path(), &[~c"-pa", &1])})

Otpscope.record([file: Path.join(out, name), processes: :new], fn ->
  Task.async(fn ->
    {:ok, _} = GenServer.start(Scn.Named, :ok, name: :scn_named)
    {[{_, :pong}], [^b]} = GenServer.multi_call([node(), b], :scn_named, :ping)
    {[{_, :pong}], [^b]} = GenServer.multi_call([node(), b], :scn_named, :ping, 1_000)
    :ok = GenServer.stop(:scn_named)
  end)
  |> Task.await()

  Process.sleep(20)
end)

:peer.stop(peer)

# Calls that end with the callee gone, which gen:call learns from the call's
# monitor: the caller receives {:DOWN, ref, :process, callee, reason} with the
# monitor reference the call's tag carries, and exits with that reason.
#   1. a call to a server that has already stopped: the request goes to a dead
#      pid (send_to_dead) and the :DOWN says :noproc at once;
#   2. a call to a server started before the recording (not traced) that
#      crashes on the request: the trace has no exit of the callee, only the
#      caller's :DOWN;
#   3. :gen_server.send_request to that kind of server, which crashes too, and
#      :gen_server.receive_response;
#   4. a call to a traced server that crashes on the request (its exit is in
#      the trace), for comparison;
#   5. a call to the rpc server of a peer node that is stopped while the call
#      waits: the :DOWN says :noconnection, the callee may live on.
# Each caller catches the exit and goes on. Records new processes only. Needs a
# node name (the peer node):
#   cd dump_tool && elixir --sname scn_down -S mix run ../test/scenarios/call_down.exs
defmodule Scn.Fragile do
  use GenServer
  def init(:ok), do: {:ok, 0}
  def handle_call(:ping, _from, n), do: {:reply, :pong, n + 1}
  def handle_call(:crash, _from, _n), do: raise("crash on request")
end

out = System.get_env("OUT", "../test/fixtures/scenarios")
name = System.get_env("NAME", "call-down.zip")
Code.ensure_loaded(Scn.Fragile)
:logger.set_primary_config(:level, :none)

catching = fn f ->
  try do
    f.()
  catch
    :exit, reason -> {:exited, reason}
  end
end

{:ok, untraced} = GenServer.start(Scn.Fragile, :ok)
{:ok, untraced2} = GenServer.start(Scn.Fragile, :ok)

Otpscope.record([file: Path.join(out, name), processes: :new], fn ->
  {:ok, stopped} = GenServer.start(Scn.Fragile, :ok)
  GenServer.stop(stopped)

  caller = fn f -> Task.async(fn -> catching.(f) end) |> Task.await() end
  {:exited, {:noproc, _}} = caller.(fn -> GenServer.call(stopped, :ping) end)
  {:exited, {{%RuntimeError{}, _}, _}} = caller.(fn -> GenServer.call(untraced, :crash) end)

  {:error, {{%RuntimeError{}, _}, _}} =
    caller.(fn ->
      req = :gen_server.send_request(untraced2, :crash)
      :gen_server.receive_response(req, 1000)
    end)

  {:ok, traced} = GenServer.start(Scn.Fragile, :ok)
  :pong = GenServer.call(traced, :ping)
  {:exited, {{%RuntimeError{}, _}, _}} = caller.(fn -> GenServer.call(traced, :crash) end)

  {:ok, peer, b} = :peer.start(%{name: :"scn_down_b_#{System.unique_integer([:positive])}"})
  waiting = Task.async(fn -> catching.(fn -> GenServer.call({:rex, b}, {:call, :timer, :sleep, [5000], Process.group_leader()}, 10_000) end) end)
  Process.sleep(200)
  :peer.stop(peer)
  {:exited, {{:nodedown, ^b}, _}} = Task.await(waiting)
  Process.sleep(20)
end)

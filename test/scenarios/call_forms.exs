# The forms of a call besides a plain GenServer.call, each recorded as the
# runtime sends it (the request's tag and the reply's path differ by form and by
# OTP release):
#   1. GenServer.multi_call: to this node only with no timeout (gen:call), with
#      a timeout, and to this node and a peer node (not traced) with no timeout;
#      a multi_call whose local server is too slow (it times out);
#   2. :gen_server.send_request with receive_response, check_response and
#      wait_response (one that times out, then waits again), and a request id
#      collection of two requests received together;
#   3. :gen_statem.send_request, a gen_statem's reply action in a transition,
#      and a call it postpones and answers in its next state;
#   4. deferred replies: {:noreply, s} then GenServer.reply/2 from the server
#      later, and from another process the server hands `from` to;
#   5. :erpc.call and :rpc.call to the peer node;
#   6. GenServer.call with :infinity, answered late;
#   7. a call to a registered name on the peer node that times out;
#   8. Task.await that times out;
#   9. the servers are stopped (GenServer.stop: a :sys terminate request).
# Needs a node name (the peer node):
#   cd dump_tool && elixir --sname scn_forms -S mix run ../test/scenarios/call_forms.exs
{:module, Scn.Echo, echo_beam, _} =
  defmodule Scn.Echo do
  use GenServer
  def init(:ok), do: {:ok, nil}
  def handle_call(:ping, _from, s), do: {:reply, :pong, s}
  def handle_call({:sleep, ms}, _from, s), do: (Process.sleep(ms); {:reply, :slept, s})
  def handle_call(:later, from, _s), do: {:noreply, from}
  def handle_call(:elsewhere, from, s), do: (spawn(fn -> Process.sleep(10); GenServer.reply(from, :from_helper) end); {:noreply, s})
  def handle_cast(:answer, from), do: (GenServer.reply(from, :answered); {:noreply, nil})
end

defmodule Scn.Door do
  @behaviour :gen_statem
  def callback_mode, do: :state_functions
  def init(_), do: {:ok, :locked, nil}
  def locked({:call, from}, :open, d), do: {:next_state, :opened, d, [{:reply, from, :opening}]}
  def locked({:call, _from}, :status, _d), do: :keep_state_and_data
  def opened({:call, _from}, :knock, _d), do: {:keep_state_and_data, [:postpone]}
  def opened({:call, from}, :close, d), do: {:next_state, :closed, d, [{:reply, from, :closing}]}
  def closed({:call, from}, :knock, d), do: {:keep_state, d, [{:reply, from, :come_in}]}
end

out = System.get_env("OUT", "../test/fixtures/scenarios")
name = System.get_env("NAME", "call-forms.zip")
Enum.each([Scn.Echo, Scn.Door], &Code.ensure_loaded/1)
:logger.set_primary_config(:level, :none)

catching = fn f ->
  try do
    f.()
  catch
    :exit, reason -> {:exited, reason}
  end
end

# The peer runs Scn.Echo too, registered as :scn_echo, for the multi_call and the call that times out.
{:ok, peer, b} = :peer.start(%{name: :"scn_forms_b_#{System.unique_integer([:positive])}", args: Enum.flat_map(:code.get_path(), &[~c"-pa", &1])})
{:module, Scn.Echo} = :erpc.call(b, :code, :load_binary, [Scn.Echo, ~c"call_forms.exs", echo_beam])
{:ok, _} = :erpc.call(b, GenServer, :start, [Scn.Echo, :ok, [name: :scn_echo]])

Otpscope.record([file: Path.join(out, name), processes: :new], fn ->
  Task.async(fn ->
    {:ok, echo} = GenServer.start(Scn.Echo, :ok, name: :scn_echo)
    {:ok, plain} = GenServer.start(Scn.Echo, :ok)
    {:ok, door} = :gen_statem.start(Scn.Door, :ok, [])

    # 1. multi_call
    {[{_, :pong}], []} = GenServer.multi_call([node()], :scn_echo, :ping)
    {[{_, :pong}], []} = GenServer.multi_call([node()], :scn_echo, :ping, 1000)
    {[_, _], []} = GenServer.multi_call([node(), b], :scn_echo, :ping)
    {[], [_]} = GenServer.multi_call([node()], :scn_echo, {:sleep, 80}, 20)
    Process.sleep(100)

    # 2. send_request and its three ways to take the reply, and a collection
    {:reply, :pong} = :gen_server.receive_response(:gen_server.send_request(plain, :ping), 1000)
    r = :gen_server.send_request(plain, :ping)
    {:reply, :pong} = receive(do: (msg -> :gen_server.check_response(msg, r)))
    r = :gen_server.send_request(plain, {:sleep, 60})
    :timeout = :gen_server.wait_response(r, 10)
    {:reply, :slept} = :gen_server.wait_response(r, 1000)
    coll = :gen_server.send_request(plain, :ping, :one, :gen_server.reqids_new())
    coll = :gen_server.send_request(echo, :ping, :two, coll)
    {{:reply, :pong}, _, coll} = :gen_server.receive_response(coll, 1000, true)
    {{:reply, :pong}, _, _} = :gen_server.receive_response(coll, 1000, true)

    # 3. gen_statem
    {:reply, :opening} = :gen_statem.receive_response(:gen_statem.send_request(door, :open), 1000)
    knocker = Task.async(fn -> :gen_statem.call(door, :knock) end)
    Process.sleep(20)
    :closing = :gen_statem.call(door, :close)
    :come_in = Task.await(knocker)

    # 4. deferred replies
    later = Task.async(fn -> GenServer.call(plain, :later) end)
    Process.sleep(20)
    GenServer.cast(plain, :answer)
    :answered = Task.await(later)
    :from_helper = GenServer.call(plain, :elsewhere)

    # 5. erpc and rpc
    ^b = :erpc.call(b, :erlang, :node, [])
    ^b = :rpc.call(b, :erlang, :node, [])

    # 6. :infinity
    :slept = GenServer.call(plain, {:sleep, 30}, :infinity)

    # 7. a call to the peer node's server that times out
    {:exited, {:timeout, _}} = catching.(fn -> GenServer.call({:scn_echo, b}, {:sleep, 100}, 20) end)
    Process.sleep(100)

    # 8. Task.await timing out
    slow = Task.async(fn -> Process.sleep(60); :done end)
    {:exited, {:timeout, _}} = catching.(fn -> Task.await(slow, 20) end)
    Process.sleep(60)

    # 9. stops
    :ok = GenServer.stop(echo)
    :ok = GenServer.stop(plain)
    :ok = :gen_statem.stop(door)
  end)
  |> Task.await()

  Process.sleep(20)
end)

:peer.stop(peer)

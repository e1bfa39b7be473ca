# Calls that are not `{:"$gen_call", from, request}`: gen:call/4 puts its label
# first, and gen_event's label is the caller's own pid (`{caller, {caller, tag},
# request}`), :sys's is `:system`. Every ending a call can have:
#   1. a gen_event manager with a handler: add_handler and sync_notify (no
#      timeout: a plain reference for a tag), :gen_event.call (an alias),
#      send_request, which_handlers, swap_handler, delete_handler; a call that
#      times out (its late reply goes to the inactive alias); a handler that
#      crashes inside a call (the manager answers {:error, _}).
#   2. a manager killed while a call waits on it (callee_exit).
#   3. a manager blocked in a handler: its caller is killed (caller_exit), and
#      a second call waits in its mailbox to the end (pending).
#   4. :sys calls (get_state, replace_state, suspend, resume) to a GenServer, a
#      gen_statem and the manager; one that times out while the GenServer is busy.
defmodule Scn.Counter do
  @behaviour :gen_event
  def init({:swapped, n}), do: {:ok, n}
  def init(n), do: {:ok, n}
  def handle_event(:ping, n), do: {:ok, n + 1}
  def handle_call(:count, n), do: {:ok, n, n}
  def handle_call({:slow, ms}, n), do: (Process.sleep(ms); {:ok, :late, n})
  def handle_call(:crash, _n), do: raise("handler crashed")
  def handle_call({:wait, what}, n), do: (receive do ^what -> :ok end; {:ok, :woke, n})
  def handle_info(_, n), do: {:ok, n}
  def terminate(:swap, n), do: n
  def terminate(_, n), do: {:counted, n}
end

defmodule Scn.Box do
  use GenServer
  def init(n), do: {:ok, %{n: n}}
  def handle_cast({:sleep, ms}, s), do: (Process.sleep(ms); {:noreply, s})
  def handle_call(:get, _from, s), do: {:reply, s.n, s}
end

defmodule Scn.Light do
  @behaviour :gen_statem
  def callback_mode, do: :state_functions
  def init(_), do: {:ok, :off, %{flips: 0}}
  def off(:cast, :flip, d), do: {:next_state, :on, %{d | flips: d.flips + 1}}
  def on(:cast, :flip, d), do: {:next_state, :off, %{d | flips: d.flips + 1}}
end

out = System.get_env("OUT", "../test/fixtures/scenarios")
name = System.get_env("NAME", "gen-event-calls.zip")
Enum.each([Scn.Counter, Scn.Box, Scn.Light], &Code.ensure_loaded/1)
:logger.set_primary_config(:level, :none)
me = self()

Otpscope.record([file: Path.join(out, name), processes: :new], fn ->
  Task.async(fn ->
    {:ok, mgr} = :gen_event.start()
    :ok = :gen_event.add_handler(mgr, Scn.Counter, 0)
    :ok = :gen_event.sync_notify(mgr, :ping)
    1 = :gen_event.call(mgr, Scn.Counter, :count)
    {:reply, 1} = :gen_event.wait_response(:gen_event.send_request(mgr, Scn.Counter, :count), 1000)
    [Scn.Counter] = :gen_event.which_handlers(mgr)

    :timed_out =
      try do
        :gen_event.call(mgr, Scn.Counter, {:slow, 80}, 20)
      catch
        :exit, {:timeout, _} -> :timed_out
      end

    Process.sleep(100)
    {:error, _} = :gen_event.call(mgr, Scn.Counter, :crash)
    [] = :gen_event.which_handlers(mgr)
    :ok = :gen_event.add_handler(mgr, Scn.Counter, 10)
    :ok = :gen_event.swap_handler(mgr, {Scn.Counter, :swap}, {Scn.Counter, :swapped})
    {:counted, 10} = :gen_event.delete_handler(mgr, Scn.Counter, :bye)

    # 2. the manager killed under a waiting call
    {:ok, doomed} = :gen_event.start()
    :ok = :gen_event.add_handler(doomed, Scn.Counter, 0)
    spawn(fn -> Process.sleep(30); Process.exit(doomed, :kill) end)

    :killed =
      try do
        :gen_event.call(doomed, Scn.Counter, {:wait, :never}, 1000)
      catch
        :exit, {:killed, _} -> :killed
      end

    # 3. a manager stuck in a handler: one caller killed while it waits, one left waiting
    {:ok, stuck} = :gen_event.start()
    :ok = :gen_event.add_handler(stuck, Scn.Counter, 0)
    a = spawn(fn -> :gen_event.call(stuck, Scn.Counter, {:wait, :never}, :infinity) end)
    Process.sleep(20)
    Process.exit(a, :kill)
    b = spawn(fn -> :gen_event.call(stuck, Scn.Counter, :count, :infinity) end)

    # 4. :sys calls
    {:ok, box} = GenServer.start(Scn.Box, 7)
    {:ok, light} = :gen_statem.start(Scn.Light, :ok, [])
    %{n: 7} = :sys.get_state(box)
    %{n: 8} = :sys.replace_state(box, fn s -> %{s | n: 8} end)
    :ok = :sys.suspend(box)
    :ok = :sys.resume(box)
    8 = GenServer.call(box, :get)
    :gen_statem.cast(light, :flip)
    {:on, %{flips: 1}} = :sys.get_state(light)
    _ = :sys.get_state(mgr)
    GenServer.cast(box, {:sleep, 80})

    :timed_out =
      try do
        :sys.get_state(box, 20)
      catch
        :exit, {:timeout, _} -> :timed_out
      end

    Process.sleep(100)
    send(me, {:left, stuck, b})
  end)
  |> Task.await()

  Process.sleep(20)
end)

receive do
  {:left, stuck, b} -> Enum.each([stuck, b], &Process.exit(&1, :kill))
end

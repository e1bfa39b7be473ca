# Messages a process takes outside its GenServer loop, and sends to an alias after it went inactive:
# - Scn.Asker's last callback waits for a helper's {:answer, n} with a selective receive (no callback
#   after it takes anything), and its callback that stops received a message it never took (lost at its exit);
# - Scn.Waiter's callback waits for a message that never comes while another one arrives (still in its queue
#   at the end);
# - a second send to an :erlang.alias([:reply]) (deactivated by the first message), and a send to an alias
#   after :erlang.unalias/1, and one to an alias after its owner exited.
#   cd dump_tool && mix run ../test/scenarios/receive_edges.exs
defmodule Scn.Asker do
  use GenServer
  def init(:ok), do: {:ok, 0}

  def handle_call({:ask, n}, _from, s) do
    me = self()
    spawn(fn -> send(me, {:answer, n}) end)
    receive do
      {:answer, ^n} -> {:reply, n, s + n}
    end
  end

  def handle_call(:stop, _from, s) do
    me = self()
    spawn(fn -> send(me, :late); send(me, {:answer, :stop}) end)
    receive do
      {:answer, :stop} -> {:stop, :normal, :ok, s}
    end
  end
end

defmodule Scn.Waiter do
  use GenServer
  def init(:ok), do: {:ok, nil}

  def handle_cast(:wait, s) do
    receive do
      :never -> {:noreply, s}
    end
  end
end

out = System.get_env("OUT", "../test/fixtures/scenarios")
name = System.get_env("NAME", "receive-edges.zip")

Otpscope.record([file: Path.join(out, name), processes: :new], fn ->
  Task.async(fn ->
    {:ok, a} = GenServer.start(Scn.Asker, :ok)
    1 = GenServer.call(a, {:ask, 1})
    2 = GenServer.call(a, {:ask, 2})
    {:ok, b} = GenServer.start(Scn.Asker, :ok)
    3 = GenServer.call(b, {:ask, 3})
    :ok = GenServer.call(b, :stop)
    {:ok, w} = GenServer.start(Scn.Waiter, :ok)
    GenServer.cast(w, :wait)
    send(w, :other)

    me = self()
    once = :erlang.alias([:reply])
    spawn(fn -> send(once, {:once, 1}); send(once, {:once, 2}); send(me, :sent) end)
    receive do: ({:once, 1} -> :ok)
    receive do: (:sent -> :ok)
    gone = :erlang.alias()
    spawn(fn -> send(gone, {:via, 1}); send(me, :sent) end)
    receive do: ({:via, 1} -> :ok)
    receive do: (:sent -> :ok)
    :erlang.unalias(gone)
    spawn(fn -> send(gone, {:via, 2}); send(me, :sent) end)
    receive do: (:sent -> :ok)
    owner = spawn(fn -> a = :erlang.alias(); send(me, {:alias, a}); receive do: ({:x, 1} -> :ok) end)
    mine = receive do: ({:alias, a} -> a)
    ref = Process.monitor(owner)
    send(mine, {:x, 1})
    receive do: ({:DOWN, ^ref, _, _, _} -> :ok)
    send(mine, {:x, 2})
    Process.sleep(20)
    w
  end)
  |> Task.await()
end)
|> then(fn _ -> :ok end)

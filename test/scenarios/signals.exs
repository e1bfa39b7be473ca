# Messages the runtime makes from signals, which the trace shows as receives
# with no send: a supervisor (trapping exits) gets {:EXIT, child, reason} when
# its child crashes; a probe process trapping exits gets {:EXIT, pid, reason}
# from a linked process and from a Task it awaits, {:DOWN, ref, :process,
# pid_or_name, reason} from monitors (a process, a registered name, the Task,
# a process on a peer node), {:timeout, ref, msg} from :erlang.start_timer,
# {:nodedown, node} from :erlang.monitor_node and {:nodeup/:nodedown, node,
# info} from :net_kernel.monitor_nodes, {:spawn_reply, ref, :ok | :error, _}
# from :erlang.spawn_request (and Node.spawn/4, which waits for one),
# {:"ETS-TRANSFER", tab, from, data} from :ets.give_away and a table's heir,
# {:monitor, pid, :large_heap, info} from :erlang.system_monitor and
# {:CHANGE, ref, :time_offset, ...} from a time offset monitor; and a port's
# own messages to its owner ({port, {:data, _}}, {port, {:exit_status, n}}),
# which the port sends. Records new processes only, so the script's own
# process is not traced. Needs a node name (the peer node) and single time
# warp mode (the time offset's change):
#   cd dump_tool && elixir --erl "+C single_time_warp" --sname scn_signals -S mix run ../test/scenarios/signals.exs
# NAME sets the archive's file name (signals-otp27.zip from the trixie chroot).
out = Path.expand(System.get_env("OUT", "../test/fixtures/scenarios"))
name = System.get_env("NAME", "signals.zip")

defmodule Scn.Flaky do
  use GenServer
  def start_link(_), do: GenServer.start_link(__MODULE__, :ok, name: Scn.Flaky)
  def init(:ok), do: {:ok, 0}
  def handle_cast(:boom, _), do: raise("boom")
end

defmodule Scn.Probe do
  def run(parent) do
    Process.flag(:trap_exit, true)

    {:ok, sup} = Supervisor.start_link([Scn.Flaky], strategy: :one_for_one)
    GenServer.cast(Scn.Flaky, :boom)
    Process.sleep(20)

    linked = spawn_link(fn -> exit(:linked_bye) end)
    receive do: ({:EXIT, ^linked, :linked_bye} -> :ok)

    {pid, ref} = spawn_monitor(fn -> receive do: (:go -> exit(:monitored_bye)) end)
    send(pid, :go)
    receive do: ({:DOWN, ^ref, :process, ^pid, :monitored_bye} -> :ok)

    named = spawn(fn -> receive do: (:go -> :ok) end)
    Process.register(named, :scn_named)
    ref = Process.monitor(:scn_named)
    send(named, :go)
    receive do: ({:DOWN, ^ref, :process, {:scn_named, _}, :normal} -> :ok)

    # the task exits before await: its DOWN (and, trapping exits, its EXIT) are queued by then
    task = Task.async(fn -> :task_result end)
    Process.sleep(20)
    :task_result = Task.await(task)
    receive do: ({:EXIT, _, :normal} -> :ok)

    tref = :erlang.start_timer(5, self(), :tick)
    receive do: ({:timeout, ^tref, :tick} -> :ok)

    # a spawn request's replies: :ok (monitored, so a :DOWN follows) and :error (a node that does not exist)
    sref = :erlang.spawn_request(:timer, :sleep, [1], [:monitor])
    receive do: ({:spawn_reply, ^sref, :ok, _} -> :ok)
    receive do: ({:DOWN, ^sref, :process, _, :normal} -> :ok)
    bad = :erlang.spawn_request(:nowhere@nohost, :timer, :sleep, [1], [])
    receive do: ({:spawn_reply, ^bad, :error, _} -> :ok)

    # an ETS table given away, and one its heir inherits when its owner exits
    me = self()
    taker = spawn(fn -> receive do: ({:"ETS-TRANSFER", _, ^me, :gift} -> :ok) end)
    :ets.give_away(:ets.new(:scn_given, []), taker, :gift)

    owner =
      spawn(fn ->
        :ets.new(:scn_inherited, [{:heir, me, :inherit}])
        send(me, :made)
        receive do: (:die -> :ok)
      end)

    receive do: (:made -> :ok)
    send(owner, :die)
    receive do: ({:"ETS-TRANSFER", _, ^owner, :inherit} -> :ok)

    # a port's messages to its owner: the port sends them (ports are not traced), the runtime does not
    port = Port.open({:spawn, "cat"}, [:binary])
    Port.command(port, "hi")
    receive do: ({^port, {:data, "hi"}} -> :ok)
    Port.close(port)
    sh = Port.open({:spawn, "sh -c 'exit 3'"}, [:exit_status])
    receive do: ({^sh, {:exit_status, 3}} -> :ok)

    # the system monitor's report of a process whose heap grew large (other processes' may come too)
    big =
      spawn(fn ->
        receive do: (:go -> :ok)
        l = Enum.to_list(1..300_000)
        :erlang.garbage_collect()
        send(me, {:big, length(l)})
      end)

    previous = :erlang.system_monitor(self(), [{:large_heap, 200_000}])
    send(big, :go)
    receive do: ({:big, _} -> :ok)
    :erlang.system_monitor(previous)
    receive do: ({:monitor, ^big, :large_heap, _} -> :ok)

    # a time offset monitor's change, when the node runs in single time warp mode (+C single_time_warp)
    if :erlang.system_info(:time_warp_mode) == :single_time_warp do
      oref = :erlang.monitor(:time_offset, :clock_service)
      :erlang.system_flag(:time_offset, :finalize)
      receive do: ({:CHANGE, ^oref, :time_offset, :clock_service, _} -> :ok)
    end

    :ok = :net_kernel.monitor_nodes(true, [:nodedown_reason])
    {:ok, peer, b} = :peer.start(%{name: :"scn_signals_b_#{System.unique_integer([:positive])}"})
    receive do: ({:nodeup, ^b, _} -> :ok)
    true = :erlang.monitor_node(b, true)
    remote = Node.spawn(b, :timer, :sleep, [20])
    ref = Process.monitor(remote)
    receive do: ({:DOWN, ^ref, :process, ^remote, :normal} -> :ok)
    :peer.stop(peer)
    receive do: ({:nodedown, ^b} -> :ok)
    receive do: ({:nodedown, ^b, _} -> :ok)
    Process.sleep(20)

    Supervisor.stop(sup)
    send(parent, :probe_done)
  end
end

Code.ensure_loaded(Scn.Flaky)
:logger.set_primary_config(:level, :none)

Otpscope.record([file: Path.join(out, name), processes: :new], fn ->
  me = self()
  spawn(fn -> Scn.Probe.run(me) end)
  receive do: (:probe_done -> :ok)
end)

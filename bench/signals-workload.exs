# A recording full of signals, for the timeline's arrow benchmark (bench/arrows-ab.mjs): supervised workers that
# crash and are restarted, each crash an :EXIT to their supervisor and a :DOWN to the driver that monitors them,
# between GenServer calls to them. Run from dump_tool/ so the recorder is loaded:
#
#     cd dump_tool && MIX_ENV=dev mix run ../bench/signals-workload.exs CALLS CRASH_EVERY OUT.zip
#
# records CALLS calls from one driver to 20 workers in turn, one in CRASH_EVERY of them a crash (the worker raises
# in its callback; the call exits and the driver carries on), all processes with messages and states, into OUT.zip.
# Not in bench/workloads.exs: its hash names the cached ping-pong archives (bench/recorder.ts).

defmodule SigWl.Worker do
  use GenServer
  def start_link(i), do: GenServer.start_link(__MODULE__, i, name: :"sigwl_#{i}")
  def init(i), do: {:ok, {i, 0}}
  def handle_call(:crash, _from, _s), do: raise("crash on purpose")
  def handle_call(:ping, _from, {i, n}), do: {:reply, :pong, {i, n + 1}}
end

defmodule SigWl do
  @workers 20

  def run(calls, crash_every, out) do
    :logger.set_primary_config(:level, :none)
    File.rm(out)
    Code.ensure_loaded!(SigWl.Worker)

    children = for i <- 1..@workers, do: Supervisor.child_spec({SigWl.Worker, i}, id: i)

    {:ok, sup} =
      Supervisor.start_link(children,
        strategy: :one_for_one,
        max_restarts: 1_000_000_000,
        max_seconds: 1
      )

    Process.unlink(sup)

    {:ok, _} =
      Otpscope.start(
        file: out,
        processes: :all,
        max_rate: :infinity,
        max_events: :infinity,
        messages: true,
        states: true,
        max_in_flight: 1_000,
        max_buffer_memory: 8_000_000_000,
        high_water: 5_000_000,
        suspend_water: 10_000_000
      )

    drive(calls, crash_every)
    {:ok, _} = Otpscope.stop()
    Supervisor.stop(sup)
    IO.puts(~s({"file": "#{out}", "calls": #{calls}, "crash_every": #{crash_every}}))
  end

  defp drive(calls, crash_every) do
    for n <- 1..calls do
      name = :"sigwl_#{rem(n, @workers) + 1}"
      pid = wait_for(name)

      if rem(n, crash_every) == 0 do
        ref = Process.monitor(pid)
        catch_exit(fn -> GenServer.call(pid, :crash) end)
        receive do: ({:DOWN, ^ref, :process, ^pid, _} -> :ok)
      else
        :pong = GenServer.call(pid, :ping)
      end
    end
  end

  # A worker that just crashed is back once its supervisor restarted it.
  defp wait_for(name) do
    case Process.whereis(name) do
      nil ->
        Process.sleep(0)
        wait_for(name)

      pid ->
        pid
    end
  end

  defp catch_exit(call) do
    call.()
  catch
    :exit, _ -> :ok
  end
end

[calls, crash_every, out] = System.argv()
SigWl.run(String.to_integer(calls), String.to_integer(crash_every), Path.expand(out))

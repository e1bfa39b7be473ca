defmodule Otpscope.Switcher do
  @moduledoc false
  # Switches the process trace flags off and back on for the tracer when it
  # is overloaded (Otpscope.Tracer), so that the tracer keeps shedding its
  # mailbox meanwhile.
  #
  # Switching flags is slow exactly when it is needed: one erlang:trace/3
  # (and, on the legacy backend, one trace_info/2) per traced process, each
  # waiting for that process, which under load means waiting for busy
  # processes to be scheduled. Measured with `:lists` call-traced while
  # every scheduler ran processes calling it, two CPU hogs beside the node
  # on 2 cores: a tracer doing it itself was found blocked in it with
  # 212 000 messages (52 MB) queued meanwhile, and peaks of 750 000
  # messages (172 MB) against an 8 MB mailbox budget.
  #
  # Requests are handled in order (`{:otpscope_switch, false, trace,
  # first}`: off, the processes `first` first, those whose messages the
  # tracer was shedding; `{:otpscope_switch, true, trace}`: on; `trace` is
  # the tracer's Otpscope.Trace struct, which knows the processes whose
  # calls stay off); once flags are back on the tracer gets
  # `{:otpscope_resumed, monotonic_ns}`, the end of the gap it records.
  # The controller stops it (stop/1) before it disables tracing, so that no
  # resume can switch flags on after that.

  alias Otpscope.Trace

  @doc "Starts the switcher, linked to the caller."
  def start_link do
    {:module, Trace} = Code.ensure_loaded(Trace)
    :proc_lib.spawn_opt(__MODULE__, :loop, [[]], [:link, {:priority, :high}])
  end

  # `suspended`: what the last switch off returned, for the switch on
  @doc false
  def loop(suspended) do
    # a stop request goes before the switches still waiting
    receive do
      {:otpscope_stop_switching, from} -> stopped(from)
    after
      0 ->
        receive do
          {:otpscope_stop_switching, from} ->
            stopped(from)

          {:otpscope_switch, false, trace, first} ->
            # off twice in a row: the second finds the first one's already off
            loop(suspended ++ Trace.suspend(trace, first))

          {:otpscope_switch, true, trace} ->
            Trace.resume(trace, suspended)
            send(trace.tracer, {:otpscope_resumed, :erlang.monotonic_time(:nanosecond)})
            loop([])
        end
    end
  end

  defp stopped(from), do: send(from, {:otpscope_switcher_stopped, self()})

  @doc """
  Stops `switcher` once the switch it is making, if any, is done; requests
  still waiting are dropped. Waits at most `timeout` ms, then kills it.
  """
  def stop(switcher, timeout) do
    ref = Process.monitor(switcher)
    send(switcher, {:otpscope_stop_switching, self()})

    receive do
      {:otpscope_switcher_stopped, ^switcher} -> :ok
      {:DOWN, ^ref, :process, _, _} -> :ok
    after
      timeout -> Process.exit(switcher, :kill)
    end

    Process.demonitor(ref, [:flush])
    :ok
  end
end

# Peak memory of the recorder's processes under an overload that switches
# tracing off: the workload of the :lists fault test in test/safety_test.exs
# (`:lists` call-traced, allowed by name, while two processes per scheduler
# call it in a loop; 8 MB budgets), sampled every millisecond by a
# high-priority process that reads each process's memory and mailbox in one
# call (the test's sampler runs at normal priority beside the busy
# processes and sees few samples).
#
#     cd dump_tool && mix run bench/overload_peaks.exs [EVENTS]
#
# Run it beside CPU hogs to see what a loaded machine does. Prints one line:
# the gaps (times tracing was switched off), then for the tracer, the writer
# and an encoder the peak memory, the peak mailbox, and where the tracer was
# at its peak mailbox.

defmodule OverloadPeaks do
  def spin(n) do
    :lists.reverse([n, n + 1])
    :lists.member(n, [1, 2, 3])
    spin(rem(n + 1, 1_000_000))
  end

  def sample(pids, peaks) do
    receive do
      {:peaks, to} -> send(to, {:peaks, peaks})
    after
      1 -> sample(pids, Enum.zip_with(pids, peaks, &measure/2))
    end
  end

  defp measure(pid, p) do
    case Process.info(pid, [:memory, :message_queue_len, :current_stacktrace]) do
      [memory: m, message_queue_len: q, current_stacktrace: st] ->
        at = if q > p.queue, do: Enum.take(st, 2), else: p.at_peak_queue
        %{p | memory: max(p.memory, m), queue: max(p.queue, q), at_peak_queue: at}

      nil ->
        p
    end
  end
end

events = String.to_integer(List.first(System.argv()) || "1000000")
busy = for _ <- 1..(2 * System.schedulers_online()), do: spawn(fn -> OverloadPeaks.spin(0) end)
file = Path.join(System.tmp_dir!(), "overload_peaks_#{System.pid()}.zip")
budget = 8_000_000

{:ok, _} =
  Otpscope.start(
    file: file,
    modules: [:lists],
    allow_risky: [:lists],
    states: false,
    max_buffer_memory: budget,
    max_mailbox_memory: budget,
    max_events: :infinity
  )

info = Otpscope.info()
pids = Enum.uniq([info.tracer, info.writer | info.encoders])
zero = %{memory: 0, queue: 0, at_peak_queue: nil}

sampler =
  :erlang.spawn_opt(fn -> OverloadPeaks.sample(pids, Enum.map(pids, fn _ -> zero end)) end, [
    {:priority, :high}
  ])

wait = fn wait ->
  case Otpscope.info() do
    %{accepted: a, dropped: d} when a + d > events ->
      :ok

    _ ->
      Process.sleep(10)
      wait.(wait)
  end
end

wait.(wait)
send(sampler, {:peaks, self()})
peaks = receive(do: ({:peaks, p} -> p))
{:ok, _} = Otpscope.stop()
Enum.each(busy, &Process.exit(&1, :kill))
{:ok, zip} = :zip.zip_open(String.to_charlist(file), [:memory])
{:ok, {_, totals}} = :zip.zip_get(~c"totals.json", zip)
:zip.zip_close(zip)
File.rm!(file)
gaps = length(String.split(totals, ~s("count":0,))) - 1

IO.puts(
  "gaps #{gaps} | " <>
    Enum.map_join(Enum.zip(["tracer", "writer", "encoder"], peaks), " | ", fn {name, p} ->
      where = if name == "tracer", do: " at #{inspect(p.at_peak_queue)}", else: ""
      "#{name} #{Float.round(p.memory / 1_000_000, 1)} MB, mailbox #{p.queue}#{where}"
    end)
)

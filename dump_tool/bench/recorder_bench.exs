# Recorder benchmark: archive compactness, traced-workload slowdown, and
# memory under a flood, compared with dbg. Prints one JSON object.
#
#     cd dump_tool && mix run bench/recorder_bench.exs [--quick] [--calls N] [--runs N]
#
# Workload: a GenServer ping-pong of N calls, traced for send, receive and
# call (the server's handle_call/3 with exception_trace) on all processes,
# i.e. 6 events per call. The same flags are given to dbg with a file trace
# port (raw frames, then gzip -6 of them) and with a do-nothing process
# tracer.

defmodule Bench.Pong do
  use GenServer
  def init(n), do: {:ok, n}
  def handle_call(:ping, _from, n), do: {:reply, :pong, n}
end

defmodule Bench do
  @flags [:send, :receive, :call]

  def run(calls, runs) do
    tmp = Path.join(System.tmp_dir!(), "otpscope_bench_#{System.os_time()}")
    File.mkdir_p!(tmp)
    :logger.set_primary_config(:level, :error)
    Code.ensure_loaded!(Bench.Pong)

    # Warm up (JIT, code loading), then the untraced baseline.
    workload(div(calls, 10) + 1)
    untraced = best_of(3, fn -> workload(calls) end)

    # The traced runs alternate (otpscope, dbg file port, dbg process tracer)
    # `runs` times and each slowdown is the median of its runs: single runs on
    # a shared 2-core machine differ by 10-20 % from one minute to the next.
    samples =
      for i <- 1..runs, reduce: %{otpscope: [], dbg_file_port: [], dbg_process_tracer: []} do
        acc ->
          # otpscope, default safety settings (only max_rate/max_events
          # lifted): when the writer cannot keep up, events are dropped and
          # counted.
          ots = otpscope(tmp, "safe#{i}", calls, [])
          port = dbg_file_port(tmp, calls)
          proc = dbg_process_tracer(calls)

          %{
            otpscope: [ots | acc.otpscope],
            dbg_file_port: [port | acc.dbg_file_port],
            dbg_process_tracer: [proc | acc.dbg_process_tracer]
          }
      end

    # otpscope with room to buffer everything (lossless on this workload):
    # compactness over every event, and the time until the archive is complete.
    lossless =
      otpscope(tmp, "lossless", calls,
        max_in_flight: 10_000,
        max_buffer_memory: 1_000_000_000_000,
        high_water: 10_000_000,
        low_water: 1_000_000,
        suspend_water: 20_000_000
      )

    safe = median_run(samples.otpscope)
    port = median_run(samples.dbg_file_port)
    proc = median_run(samples.dbg_process_tracer)

    slowdowns = fn runs ->
      for r <- Enum.reverse(runs), do: Float.round(r.traced_ms * 1000 / untraced, 2)
    end

    flood = flood(tmp, calls * 6)
    File.rm_rf!(tmp)

    %{
      workload: "GenServer ping-pong, #{calls} calls, send+receive+call traced on all processes",
      calls: calls,
      otp_release: List.to_string(:erlang.system_info(:otp_release)),
      untraced_ms: ms(untraced),
      runs: runs,
      otpscope:
        Map.merge(safe, %{
          slowdown: Float.round(safe.traced_ms * 1000 / untraced, 2),
          slowdowns: slowdowns.(samples.otpscope),
          # the fewest events any run kept, and the most it dropped
          min_events: Enum.min(Enum.map(samples.otpscope, & &1.events)),
          max_dropped: Enum.max(Enum.map(samples.otpscope, & &1.dropped))
        }),
      otpscope_lossless:
        Map.merge(lossless, %{
          slowdown: Float.round(lossless.traced_ms * 1000 / untraced, 2),
          slowdown_until_archive_complete:
            Float.round(lossless.until_complete_ms * 1000 / untraced, 2)
        }),
      dbg_file_port:
        Map.merge(port, %{
          slowdown: Float.round(port.traced_ms * 1000 / untraced, 2),
          slowdowns: slowdowns.(samples.dbg_file_port)
        }),
      dbg_process_tracer:
        Map.merge(proc, %{
          slowdown: Float.round(proc.traced_ms * 1000 / untraced, 2),
          slowdowns: slowdowns.(samples.dbg_process_tracer)
        }),
      flood: flood
    }
  end

  # The run with the median traced time (runs is odd, or the upper middle).
  defp median_run(runs) do
    sorted = Enum.sort_by(runs, & &1.traced_ms)
    Enum.at(sorted, div(length(sorted), 2))
  end

  # dbg with a file trace port: the traced time, and the raw file's size and
  # its gzip -6.
  defp dbg_file_port(tmp, calls) do
    dbg_file = Path.join(tmp, "dbg.trace")
    File.rm(dbg_file)
    {:ok, _} = :dbg.tracer(:port, :dbg.trace_port(:file, String.to_charlist(dbg_file)))
    dbg_flags()
    us = workload(calls)
    :dbg.flush_trace_port()
    dbg_stop()
    raw = File.read!(dbg_file)
    File.rm!(dbg_file)
    events = count_frames(raw, 0)
    gz = byte_size(:zlib.gzip(raw))

    %{
      events: events,
      bytes: byte_size(raw),
      bytes_per_event: Float.round(byte_size(raw) / max(events, 1), 2),
      gzip_bytes_per_event: Float.round(gz / max(events, 1), 3),
      traced_ms: ms(us)
    }
  end

  # The flags and the call pattern otpscope sets on this workload.
  defp dbg_flags do
    {:ok, _} = :dbg.p(:all, [:strict_monotonic_timestamp | @flags])
    {:ok, _} = :dbg.tp(Bench.Pong, :handle_call, 3, [{:_, [], [{:exception_trace}]}])
  end

  # dbg with a do-nothing process tracer.
  defp dbg_process_tracer(calls) do
    {:ok, _} = :dbg.tracer(:process, {fn _msg, n -> n + 1 end, 0})
    dbg_flags()
    us = workload(calls)
    dbg_stop()
    %{traced_ms: ms(us)}
  end

  # dbg's process tracer goes on handling the trace messages it holds after
  # `:dbg.stop/0` returns, and tracing stays on until it is done: the next
  # run's recorder would find another tracer on the processes and refuse.
  defp dbg_stop do
    :dbg.stop()
    wait_untraced()
  end

  defp wait_untraced do
    case :erlang.trace_info(:new_processes, :tracer) do
      {:tracer, []} ->
        :ok

      _ ->
        Process.sleep(20)
        wait_untraced()
    end
  end

  defp otpscope(tmp, name, calls, opts) do
    file = Path.join(tmp, name <> ".zip")

    {:ok, _} =
      Otpscope.start(
        [file: file, processes: :all, max_rate: :infinity, max_events: :infinity] ++ opts
      )

    info = Otpscope.info()
    others = info.encoders -- [info.writer]

    sampler =
      spawn(fn -> sample(info.tracer, info.writer, others, %{mem: 0, all: 0, queue: 0}) end)

    {total_us, us} =
      :timer.tc(fn ->
        us = workload(calls)
        {:ok, ^file} = Otpscope.stop()
        us
      end)

    send(sampler, {:report, self()})
    peak = receive do: ({:peak, p} -> p)

    totals = read_totals(file)
    bytes = File.stat!(file).size

    %{
      events: totals["events_written"],
      dropped: totals["events_dropped"],
      dropped_by_reason: totals.by_reason,
      bytes: bytes,
      bytes_per_event: Float.round(bytes / max(totals["events_written"], 1), 3),
      traced_ms: ms(us),
      until_complete_ms: ms(total_us),
      # tracer + writer + encoders, sampled every 5 ms
      peak_recorder_memory_bytes: peak.all,
      peak_tracer_mailbox: peak.queue
    }
  end

  defp ms(us), do: Float.round(us / 1000, 1)

  defp best_of(n, fun), do: Enum.min(for _ <- 1..n, do: fun.())

  # Time of `calls` GenServer calls from a fresh client to a fresh server.
  def workload(calls) do
    {:ok, server} = GenServer.start(Bench.Pong, 0)
    parent = self()

    {client, ref} =
      spawn_monitor(fn ->
        {us, :ok} = :timer.tc(fn -> loop(server, calls) end)
        send(parent, {:took, us})
      end)

    us =
      receive do
        {:took, us} -> us
      end

    receive do: ({:DOWN, ^ref, _, ^client, _} -> :ok)
    GenServer.stop(server)
    us
  end

  defp loop(_server, 0), do: :ok

  defp loop(server, n) do
    :pong = GenServer.call(server, :ping)
    loop(server, n - 1)
  end

  defp count_frames(<<0, size::32, _::binary-size(size), rest::binary>>, n),
    do: count_frames(rest, n + 1)

  defp count_frames(<<1, _::32, rest::binary>>, n), do: count_frames(rest, n)
  defp count_frames(_, n), do: n

  defp read_totals(file) do
    %{entries: entries} = Otpscope.Test.ArchiveReader.scan(file)
    {_, json} = List.keyfind(entries, "totals.json", 0)

    by_reason =
      for {"events/" <> _, chunk} <- entries,
          {_, _, count, reason} <- :erlang.binary_to_term(chunk).drops,
          reduce: %{} do
        acc -> Map.update(acc, reason, count, &(&1 + count))
      end

    # tiny JSON subset: just the integers we need
    for key <- ["events_written", "events_dropped"], into: %{by_reason: by_reason} do
      [_, v] = Regex.run(~r/"#{key}":(\d+)/, json)
      {key, String.to_integer(v)}
    end
  end

  # Several processes send as fast as they can to one receiver while only the
  # senders and the receiver are traced with the default max_rate; sample the
  # tracer's and the writer's memory and mailbox while it runs.
  defp flood(tmp, total) do
    senders = 4
    per = div(total, senders)
    parent = self()

    receiver =
      spawn(fn ->
        receive_n(senders * per)
        send(parent, :flood_received)
      end)

    procs =
      for _ <- 1..senders do
        spawn(fn ->
          receive do: (:go -> :ok)
          for i <- 1..per, do: send(receiver, {:flood, i})
        end)
      end

    file = Path.join(tmp, "flood.zip")

    {:ok, _} =
      Otpscope.start(
        file: file,
        processes: [receiver | procs],
        states: false,
        max_events: :infinity
      )

    info = Otpscope.info()
    others = info.encoders -- [info.writer]

    sampler =
      spawn(fn -> sample(info.tracer, info.writer, others, %{mem: 0, all: 0, queue: 0}) end)

    {us, _} =
      :timer.tc(fn ->
        Enum.each(procs, &send(&1, :go))
        receive do: (:flood_received -> :ok)
      end)

    send(sampler, {:report, self()})
    peak = receive do: ({:peak, p} -> p)
    {:ok, ^file} = Otpscope.stop()
    totals = read_totals(file)

    %{
      events_generated: senders * per * 2,
      events_written: totals["events_written"],
      events_dropped: totals["events_dropped"],
      dropped_by_reason: totals.by_reason,
      seconds: Float.round(us / 1.0e6, 2),
      peak_tracer_writer_memory_bytes: peak.mem,
      # the tracer, the writer and the other encoder processes
      peak_recorder_memory_bytes: peak.all,
      peak_tracer_mailbox: peak.queue
    }
  end

  defp receive_n(0), do: :ok
  defp receive_n(n), do: receive(do: ({:flood, _} -> receive_n(n - 1)))

  defp sample(tracer, writer, others, peak) do
    receive do
      {:report, to} -> send(to, {:peak, peak})
    after
      5 ->
        mem = mem(tracer) + mem(writer)
        all = mem + Enum.sum(Enum.map(others, &mem/1))
        {_, q} = Process.info(tracer, :message_queue_len) || {nil, 0}

        sample(tracer, writer, others, %{
          mem: max(peak.mem, mem),
          all: max(peak.all, all),
          queue: max(peak.queue, q)
        })
    end
  end

  defp mem(pid) do
    case Process.info(pid, :memory) do
      {:memory, m} -> m
      nil -> 0
    end
  end
end

{opts, _} =
  OptionParser.parse!(System.argv(), strict: [quick: :boolean, calls: :integer, runs: :integer])

calls = opts[:calls] || if(opts[:quick], do: 10_000, else: 100_000)
runs = opts[:runs] || if(opts[:quick], do: 1, else: 5)
IO.puts(Otpscope.JSON.encode(Bench.run(calls, runs)))

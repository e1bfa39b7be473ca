# Workloads for `npm run bench` (bin/bench.mjs), recorded by the real recorder.
# Run from dump_tool/ so the recorder and the demo app (test/support) are loaded:
#
#     cd dump_tool && MIX_ENV=dev mix run ../bench/workloads.exs pingpong CALLS OUT.zip
#     cd dump_tool && MIX_ENV=dev mix run ../bench/workloads.exs compare DIR RUNS [--quick]
#
# `pingpong` records a GenServer ping-pong of CALLS calls on all processes
# (send, receive, states) into OUT.zip: the archives the load benchmarks read.
# `compare` records the demo app and a mixed workload with otpscope and with a
# dbg file trace port (same processes, comparable flags), and times the mixed
# workload untraced / otpscope / dbg file port / dbg process tracer, RUNS
# rounds in alternation; prints one JSON object. The ping-pong comparison is
# dump_tool/bench/recorder_bench.exs's job, not repeated here.

defmodule BenchWl.Pong do
  use GenServer
  def init(n), do: {:ok, n}
  def handle_call(:ping, _from, n), do: {:reply, :pong, n + 1}
end

defmodule BenchWl.Store do
  # Holds a map that grows with every cast: the "big states" of the mixed workload.
  use GenServer
  def init(_), do: {:ok, %{items: %{}, n: 0}}

  def handle_cast({:put, k, v}, s),
    do: {:noreply, %{s | items: Map.put(s.items, k, v), n: s.n + 1}}

  def handle_call({:get, k}, _from, s), do: {:reply, Map.get(s.items, k), s}
  def handle_call(:size, _from, s), do: {:reply, map_size(s.items), s}
  def handle_info(_msg, s), do: {:noreply, s}
end

defmodule BenchWl do
  @flags [:send, :receive, :call]

  def pingpong(calls, out) do
    Code.ensure_loaded!(BenchWl.Pong)
    :logger.set_primary_config(:level, :error)
    File.rm(out)

    {:ok, _} =
      Otpscope.start(
        file: out,
        processes: :all,
        max_rate: :infinity,
        max_events: :infinity,
        messages: true,
        states: true,
        # These archives feed the load benchmarks, which want every event:
        # let the tracer's mailbox and the writer's queue grow instead of
        # dropping (the default marks drop most of a flat-out ping-pong).
        max_in_flight: 1_000,
        max_buffer_memory: 8_000_000_000,
        high_water: 5_000_000,
        suspend_water: 10_000_000
      )

    us = pong_workload(calls)
    {:ok, _} = Otpscope.stop()
    t = totals(out)

    %{
      calls: calls,
      file: out,
      bytes: File.stat!(out).size,
      events: t["events_written"],
      dropped: t["events_dropped"],
      traced_ms: us / 1000
    }
  end

  def pong_workload(calls) do
    {:ok, server} = GenServer.start(BenchWl.Pong, 0)
    parent = self()

    {pid, ref} =
      spawn_monitor(fn ->
        {us, :ok} = :timer.tc(fn -> pong_loop(server, calls) end)
        send(parent, {:took, us})
      end)

    us = receive do: ({:took, us} -> us)
    receive do: ({:DOWN, ^ref, _, ^pid, _} -> :ok)
    GenServer.stop(server)
    us
  end

  defp pong_loop(_s, 0), do: :ok

  defp pong_loop(s, n) do
    :pong = GenServer.call(s, :ping)
    pong_loop(s, n - 1)
  end

  # Mixed: a store GenServer with a growing map (casts), calls to it, short-lived
  # spawned workers of which every 7th crashes, all from a driver process.
  def mixed_workload(rounds) do
    {:ok, store} = GenServer.start(BenchWl.Store, nil)
    parent = self()

    {pid, ref} =
      spawn_monitor(fn ->
        {us, :ok} = :timer.tc(fn -> mixed_loop(store, rounds) end)
        send(parent, {:took, us})
      end)

    us = receive do: ({:took, us} -> us)
    receive do: ({:DOWN, ^ref, _, ^pid, _} -> :ok)
    GenServer.stop(store)
    us
  end

  defp mixed_loop(_store, 0), do: :ok

  defp mixed_loop(store, n) do
    GenServer.cast(store, {:put, rem(n, 500), {n, "value #{n}", [n, n + 1]}})
    _ = GenServer.call(store, {:get, rem(n, 500)})
    me = self()

    {w, r} =
      spawn_monitor(fn ->
        if rem(n, 7) == 0, do: exit({:crashed, n})
        send(me, {:done, n})
      end)

    receive do
      {:DOWN, ^r, :process, ^w, _} -> :ok
    end

    receive do
      {:done, ^n} -> :ok
    after
      0 -> :ok
    end

    if rem(n, 50) == 0, do: GenServer.call(store, :size)
    mixed_loop(store, n - 1)
  end

  def compare(dir, runs, quick) do
    :logger.set_primary_config(:level, :none)
    File.mkdir_p!(dir)
    Code.ensure_loaded!(BenchWl.Store)
    OtpscopeDemo.App.load_modules()
    rounds = if quick, do: 300, else: 5_000

    %{
      demo: demo(dir),
      mixed: mixed(dir, rounds, runs),
      otp_release: List.to_string(:erlang.system_info(:otp_release))
    }
  end

  # The UI's demo scenario (scripts/gen_fixtures.exs, public/demo/demo.zip).
  defp demo_scenario do
    me = self()

    OtpscopeDemo.App.start_app(
      worker_a: [notify: me, interval: 30, until: 5],
      crashes: 3,
      extra_children: [OtpscopeDemo.Crasher, {OtpscopeDemo.Door, [4, 2]}]
    )

    Task.async(fn ->
      OtpscopeDemo.WorkerB.slow(120)
      for d <- [1, 4, 2], do: OtpscopeDemo.Door.press(d)
    end)
    |> Task.await()

    receive do
      {:demo_done, _} -> :ok
    after
      3_000 -> raise "demo scenario timed out"
    end

    Process.sleep(80)
  end

  defp demo(dir) do
    file = Path.join(dir, "demo.zip")
    File.rm(file)
    {:ok, _} = Otpscope.start(file: file, processes: :new, max_rate: :infinity)
    demo_scenario()
    {:ok, _} = Otpscope.stop()
    OtpscopeDemo.App.stop_app()
    t = totals(file)

    dbg_file = Path.join(dir, "demo.dbg")
    start_dbg_port(dbg_file, :new, demo_callbacks())
    demo_scenario()
    {raw, frames} = stop_dbg_port(dbg_file)
    OtpscopeDemo.App.stop_app()

    %{
      otpscope: %{
        bytes: File.stat!(file).size,
        events: t["events_written"],
        dropped: t["events_dropped"]
      },
      dbg_file_port: %{
        bytes: byte_size(raw),
        events: frames,
        gzip_bytes: byte_size(:zlib.gzip(raw))
      }
    }
  end

  defp demo_callbacks,
    do: [OtpscopeDemo.WorkerA, OtpscopeDemo.WorkerB, OtpscopeDemo.Crasher, OtpscopeDemo.Door]

  defp mixed(dir, rounds, runs) do
    mixed_workload(div(rounds, 10) + 1)
    file = Path.join(dir, "mixed.zip")
    roomy_file = Path.join(dir, "mixed-1gb.zip")
    dbg_file = Path.join(dir, "mixed.dbg")

    modes = [
      untraced: fn -> mixed_workload(rounds) end,
      otpscope: fn ->
        File.rm(file)

        {:ok, _} =
          Otpscope.start(
            file: file,
            processes: :all,
            max_rate: :infinity,
            max_events: :infinity
          )

        us = mixed_workload(rounds)
        {:ok, _} = Otpscope.stop()
        us
      end,
      # The same with 1 GB memory bounds: room to keep what the defaults shed,
      # for a like-for-like comparison with dbg (which bounds nothing).
      otpscope_1gb: fn ->
        File.rm(roomy_file)

        {:ok, _} =
          Otpscope.start(
            file: roomy_file,
            processes: :all,
            max_rate: :infinity,
            max_events: :infinity,
            max_buffer_memory: 1_000_000_000,
            max_mailbox_memory: 1_000_000_000
          )

        us = mixed_workload(rounds)
        {:ok, _} = Otpscope.stop()
        us
      end,
      dbg_file_port: fn ->
        File.rm(dbg_file)
        start_dbg_port(dbg_file, :all, [BenchWl.Store])
        us = mixed_workload(rounds)
        stop_dbg_port(dbg_file)
        us
      end,
      dbg_process_tracer: fn ->
        {:ok, _} = :dbg.tracer(:process, {fn _msg, n -> n + 1 end, 0})
        dbg_flags(:all, [BenchWl.Store])
        us = mixed_workload(rounds)
        :dbg.stop()
        clear_trace()
        us
      end
    ]

    # Alternate the modes within each round so machine noise hits them alike.
    times =
      for _ <- 1..runs, {name, fun} <- modes, reduce: %{} do
        acc ->
          us = fun.()
          Map.update(acc, name, [us], &[us | &1])
      end

    med = Map.new(times, fn {k, v} -> {k, median(v)} end)
    t = totals(file)
    t1 = totals(roomy_file)
    raw = File.read!(dbg_file)

    %{
      rounds: rounds,
      runs: runs,
      ms: Map.new(med, fn {k, v} -> {k, v / 1000} end),
      slowdown:
        Map.new(Map.delete(med, :untraced), fn {k, v} -> {k, Float.round(v / med.untraced, 2)} end),
      otpscope: %{
        bytes: File.stat!(file).size,
        events: t["events_written"],
        dropped: t["events_dropped"]
      },
      otpscope_1gb: %{
        bytes: File.stat!(roomy_file).size,
        events: t1["events_written"],
        dropped: t1["events_dropped"]
      },
      dbg_file_port: %{
        bytes: byte_size(raw),
        events: count_frames(raw, 0),
        gzip_bytes: byte_size(:zlib.gzip(raw))
      }
    }
  end

  defp median(l) do
    s = Enum.sort(l)
    Enum.at(s, div(length(s), 2))
  end

  defp start_dbg_port(file, procs, modules) do
    {:ok, _} = :dbg.tracer(:port, :dbg.trace_port(:file, String.to_charlist(file)))
    dbg_flags(procs, modules)
  end

  # The flags otpscope sets for messages, lifecycle and states: send, receive,
  # procs, and call tracing of the GenServer callbacks with exception_trace.
  defp dbg_flags(procs, modules) do
    {:ok, _} = :dbg.p(procs, [:strict_monotonic_timestamp, :procs | @flags])

    for m <- modules,
        do: {:ok, _} = :dbg.tp(m, :_, [{:_, [], [{:exception_trace}]}])
  end

  # dbg leaves the :new flags set for a moment after stop; otpscope's start
  # (OTP < 27) then refuses to share the processes: clear them explicitly.
  defp clear_trace do
    :erlang.trace(:all, false, [:all])
    :erlang.trace_pattern({:_, :_, :_}, false, [:local])
    :ok
  end

  defp stop_dbg_port(file) do
    :dbg.flush_trace_port()
    :dbg.stop()
    clear_trace()
    raw = File.read!(file)
    {raw, count_frames(raw, 0)}
  end

  defp count_frames(<<0, size::32, _::binary-size(size), rest::binary>>, n),
    do: count_frames(rest, n + 1)

  defp count_frames(<<1, _::32, rest::binary>>, n), do: count_frames(rest, n)
  defp count_frames(_, n), do: n

  defp totals(file) do
    %{entries: entries} = Otpscope.Test.ArchiveReader.scan(file)
    {_, json} = List.keyfind(entries, "totals.json", 0)

    for key <- ["events_written", "events_dropped"], into: %{} do
      case Regex.run(~r/"#{key}":(\d+)/, json) do
        [_, v] -> {key, String.to_integer(v)}
        nil -> {key, nil}
      end
    end
  end
end

case System.argv() do
  ["pingpong", calls, out] ->
    IO.puts(Otpscope.JSON.encode(BenchWl.pingpong(String.to_integer(calls), out)))

  ["compare", dir, runs | rest] ->
    IO.puts(
      Otpscope.JSON.encode(BenchWl.compare(dir, String.to_integer(runs), rest == ["--quick"]))
    )

  other ->
    raise "usage: workloads.exs pingpong CALLS OUT.zip | compare DIR RUNS [--quick]; got #{inspect(other)}"
end

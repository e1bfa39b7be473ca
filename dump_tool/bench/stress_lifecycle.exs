# The recorder's lifecycle abused on a busy node (2,000 processes spawned in a
# loop, each sending a 200-byte random binary; processes: :all). Prints what
# each call returned; docs/PERFORMANCE.md, "the recorder under adversarial
# workloads", has the figures.
#
#     cd dump_tool && elixir --sname stress_life -pa _build/dev/lib/otpscope/ebin \
#       bench/stress_lifecycle.exs CASE DIR
#
# CASE: stop_twice, start_twice, owner_dies (with the recorder's stack every
# second), halt, init_stop, kill9 (prints OSPID; kill -9 it from outside),
# diskfull (DIR on a small tmpfs: mount -t tmpfs -o size=4m tmpfs DIR; any
# other DIR runs the workload unrecorded, for its time), busy3 (records 3 s,
# printing the archive's size every 0.5 s). Then `otpscope summary` the
# archive in DIR.
:logger.set_primary_config(:level, :warning)
[c, dir] = System.argv()
File.mkdir_p!(dir)
file = Path.join(dir, "#{c}.zip")
File.rm(file)

busy = fn ->
  spawn(fn ->
    me = self()

    Stream.repeatedly(fn ->
      for i <- 1..2_000, do: spawn(fn -> send(me, {:x, i, :crypto.strong_rand_bytes(200)}) end)
      for _ <- 1..2_000, do: receive(do: ({:x, _, _} -> :ok))
    end)
    |> Stream.run()
  end)
end

case if c == "busy3", do: :skip, else: c do
  "stop_twice" ->
    {:ok, _} = Otpscope.start(file: file)
    Process.sleep(1000)
    IO.inspect(Otpscope.stop(), label: "first stop")
    IO.inspect(Otpscope.stop(), label: "second stop")
    # concurrently, from two processes
    {:ok, _} = Otpscope.start(file: file <> ".2.zip")
    busy.()
    Process.sleep(1000)
    me = self()
    for _ <- 1..4, do: spawn(fn -> send(me, {:stop, Otpscope.stop()}) end)
    for _ <- 1..4, do: receive(do: ({:stop, r} -> IO.inspect(r, label: "concurrent stop")))

  "start_twice" ->
    {:ok, _} = Otpscope.start(file: file)
    IO.inspect(Otpscope.start(file: file <> ".b.zip"), label: "second start")
    me = self()

    for _ <- 1..4,
        do: spawn(fn -> send(me, {:start, Otpscope.start(file: file <> ".c.zip")}) end)

    for _ <- 1..4, do: receive(do: ({:start, r} -> IO.inspect(r, label: "concurrent start")))
    IO.inspect(Otpscope.stop(), label: "stop")
    IO.inspect(File.exists?(file <> ".b.zip"), label: "second file made")

  "owner_dies" ->
    me = self()
    busy.()

    owner =
      spawn(fn ->
        send(me, {:started, Otpscope.start(file: file)})
        receive do: (:die -> exit(:boom))
      end)

    receive do: ({:started, r} -> IO.inspect(elem(r, 0), label: "start"))
    t0 = System.monotonic_time(:millisecond)
    rec = Process.whereis(Otpscope.Recorder)

    spawn(fn ->
      for _ <- 1..60 do
        Process.sleep(1000)

        IO.puts(
          "t=#{System.monotonic_time(:millisecond) - t0} rec=#{inspect(Process.info(rec, [:current_stacktrace]), limit: 12)}"
        )
      end
    end)

    Process.sleep(1500)
    send(owner, :die)
    Process.sleep(1500)

    IO.inspect(Otpscope.info() |> then(&(is_map(&1) && Map.take(&1, [:stopped]))),
      label: "info after owner died"
    )

    IO.inspect({Otpscope.stop(), System.monotonic_time(:millisecond) - t0},
      label: "stop after owner died"
    )

    IO.inspect(elem(Otpscope.start(file: file <> ".again.zip"), 0), label: "start again")
    IO.inspect(Otpscope.stop(), label: "stop again")

  "halt" ->
    {:ok, _} = Otpscope.start(file: file, flush_interval: 100)
    busy.()
    Process.sleep(3000)
    :erlang.halt(0)

  "init_stop" ->
    {:ok, _} = Otpscope.start(file: file, flush_interval: 100)
    busy.()
    Process.sleep(3000)
    System.stop(0)
    Process.sleep(:infinity)

  "kill9" ->
    {:ok, _} = Otpscope.start(file: file, flush_interval: 100)
    busy.()
    IO.puts("OSPID " <> System.pid())
    Process.sleep(:infinity)

  "diskfull" ->
    # a 4 MB tmpfs; big random terms fill it within seconds
    t0 = System.monotonic_time(:millisecond)

    {:ok, _} =
      if(dir =~ "small", do: Otpscope.start(file: file, max_binary: 4096), else: {:ok, nil})

    recorder = Process.whereis(Otpscope.Recorder)

    recorder &&
      spawn(fn ->
        ref = Process.monitor(recorder)

        receive do
          {:DOWN, ^ref, _, _, reason} ->
            IO.inspect({reason, System.monotonic_time(:millisecond) - t0},
              label: "recorder down (ms)",
              limit: 20
            )
        end
      end)

    busy.()
    me = self()

    worker =
      spawn(fn ->
        Stream.repeatedly(fn -> send(me, {:noise, :crypto.strong_rand_bytes(4096)}) end)
        |> Enum.take(200_000)

        send(me, :done)
      end)

    spawn(fn ->
      for _ <- 1..120 do
        Process.sleep(1000)

        IO.puts(
          "t=#{System.monotonic_time(:millisecond) - t0} flags=#{inspect(:erlang.trace_info(worker, :flags))} rec=#{inspect(Process.whereis(Otpscope.Recorder) && Process.info(Process.whereis(Otpscope.Recorder), [:current_function]))}"
        )
      end
    end)

    drain = fn f ->
      receive do
        {:noise, _} -> f.(f)
        :done -> :ok
      end
    end

    drain.(drain)
    IO.inspect(Otpscope.info() |> then(&(is_map(&1) && Map.take(&1, [:stopped]))), label: "info")
    IO.inspect(Otpscope.stop(), label: "stop")
    IO.inspect(System.monotonic_time(:millisecond) - t0, label: "ms")
    IO.inspect(:erlang.trace_info(worker, :flags), label: "flags left on worker")
    IO.inspect(Process.whereis(Otpscope.Recorder), label: "recorder")

  :skip ->
    :ok
end

if c == "busy3" do
  {:ok, _} = Otpscope.start(file: file, flush_interval: 100)
  busy.()

  for _ <- 1..6 do
    Process.sleep(500)

    IO.inspect(
      {File.stat!(file).size,
       Map.take(Otpscope.info(), [:events, :dropped, :written, :in_flight])}
    )
  end

  IO.inspect(Otpscope.stop())
end

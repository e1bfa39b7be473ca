# Where the recorder's time goes per event, stage by stage, on captured trace
# messages of the two benchmark workloads (the ping-pong of recorder_bench.exs
# and the mixed workload of ../bench/workloads.exs):
#
#     cd dump_tool && mix run bench/profile_recorder.exs [--calls N] [--rounds N] [--eprof]
#
# 1. capture: the workload runs traced with the flags and call patterns the
#    recorder sets, to a collector that only keeps the messages;
# 2. tracer: the messages are put in a real Otpscope.Tracer's mailbox (the
#    tracer suspended meanwhile) and timed until it has handed them all to
#    stub encoders that acknowledge at once (per-message work + handoff copy;
#    on the mixed workload the whole capture, ~1.2 GB, sits in the mailbox,
#    which makes this figure noisy and high);
# 3. handoff: the copy of the tracer's buffers to another process;
# 4. encode: Otpscope.Chunk.encode/5 and the encoder's deflate on those
#    buffers, each in a fresh process with an encoder's heap;
# 5. with --eprof, the functions the encoder spends its time in.
#
# Prints µs per event for each stage.

defmodule Prof.Pong do
  use GenServer
  def init(n), do: {:ok, n}
  def handle_call(:ping, _from, n), do: {:reply, :pong, n}
end

defmodule Prof.Store do
  use GenServer
  def init(_), do: {:ok, %{items: %{}, n: 0}}

  def handle_cast({:put, k, v}, s),
    do: {:noreply, %{s | items: Map.put(s.items, k, v), n: s.n + 1}}

  def handle_call({:get, k}, _from, s), do: {:reply, Map.get(s.items, k), s}
  def handle_call(:size, _from, s), do: {:reply, map_size(s.items), s}
  def handle_info(_msg, s), do: {:noreply, s}
end

defmodule Prof do
  def main(argv) do
    {opts, _} =
      OptionParser.parse!(argv, strict: [calls: :integer, rounds: :integer, eprof: :boolean])

    :logger.set_primary_config(:level, :error)
    calls = opts[:calls] || 100_000
    rounds = opts[:rounds] || 5_000

    for {name, mods, fun} <- [
          {"ping-pong #{calls} calls", [Prof.Pong], fn -> pong(calls) end},
          {"mixed #{rounds} rounds", [Prof.Store], fn -> mixed(rounds) end}
        ] do
      Enum.each(mods, &Code.ensure_loaded!/1)
      msgs = capture(mods, fun)
      n = length(msgs)
      IO.puts("\n== #{name}: #{n} trace messages")
      words = :erts_debug.flat_size(msgs)
      IO.puts("   #{Float.round(words * 8 / n, 1)} bytes per message on the heap")
      # the buffers as the tracer hands them over (big messages cut)
      chunks = tracer(msgs)

      handoff(chunks, n)
      encode(chunks, n)

      if opts[:eprof], do: eprof(chunks)
    end
  end

  defp us_per(us, n), do: Float.round(us / n, 3)

  # -- 1. capture --------------------------------------------------------

  def capture(mods, fun) do
    parent = self()

    collector =
      :erlang.spawn_opt(fn -> collect([], parent) end, [{:message_queue_data, :off_heap}])

    flags = [:strict_monotonic_timestamp, :procs, :send, :receive, :call]
    :erlang.trace(:new, true, [{:tracer, collector} | flags])
    ms = [{:_, [], [{:exception_trace}]}]

    for m <- mods,
        {f, a} <- m.module_info(:exports),
        f not in [:module_info, :__info__],
        do: :erlang.trace_pattern({m, f, a}, ms, [:global])

    # run in a fresh (traced) process, as the benchmark's client is
    {pid, ref} = spawn_monitor(fun)
    receive do: ({:DOWN, ^ref, :process, ^pid, _} -> :ok)
    :erlang.trace(:new, false, [:all])
    :erlang.trace_pattern({:_, :_, :_}, false, [:global])
    ref = :erlang.trace_delivered(:all)
    receive do: ({:trace_delivered, :all, ^ref} -> :ok)
    send(collector, :done)
    receive do: ({:collected, msgs} -> Enum.reverse(msgs))
  end

  defp collect(acc, parent) do
    receive do
      :done -> send(parent, {:collected, acc})
      msg -> collect([msg | acc], parent)
    end
  end

  def pong(calls) do
    {:ok, server} = GenServer.start(Prof.Pong, 0)
    pong_loop(server, calls)
    GenServer.stop(server)
  end

  defp pong_loop(_s, 0), do: :ok

  defp pong_loop(s, n) do
    :pong = GenServer.call(s, :ping)
    pong_loop(s, n - 1)
  end

  def mixed(rounds) do
    {:ok, store} = GenServer.start(Prof.Store, nil)
    mixed_loop(store, rounds)
    GenServer.stop(store)
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

    receive do: ({:DOWN, ^r, :process, ^w, _} -> :ok)

    receive do
      {:done, ^n} -> :ok
    after
      0 -> :ok
    end

    if rem(n, 50) == 0, do: GenServer.call(store, :size)
    mixed_loop(store, n - 1)
  end

  # -- 2. tracer ---------------------------------------------------------

  defp tracer(msgs) do
    n = length(msgs)
    parent = self()

    stubs =
      for _ <- 1..2 do
        :erlang.spawn_opt(fn -> stub(parent, []) end, [{:message_queue_data, :off_heap}])
      end

    opts =
      Map.merge(Otpscope.Options.validate!(max_rate: :infinity, max_events: :infinity), %{
        writer: self(),
        encoders: stubs,
        controller: self(),
        known_modules: MapSet.new(),
        watch_spawns: true,
        limits: {512, 100, 100, 64, 20},
        # the whole capture sits in the mailbox: no shedding, no budget
        high_water: 100_000_000,
        low_water: 1,
        suspend_water: 200_000_000,
        # the writer's acknowledgements queue behind the whole capture: no
        # budget, but buffers the size the default budget makes
        max_in_flight: 1_000_000,
        max_buffer_memory: 1_000_000_000_000,
        chunk_words: div(64_000_000, 64)
      })

    t = Otpscope.Tracer.start(opts)
    :erlang.suspend_process(t)
    Enum.each(msgs, &send(t, &1))

    {us, _} =
      :timer.tc(fn ->
        :erlang.resume_process(t)
        send(t, {:otpscope_stop, self(), %{}})

        receive do
          {:otpscope_finish, _, _, _} -> :ok
        after
          20_000 ->
            raise "tracer stuck: #{inspect(Process.info(t, [:current_stacktrace, :message_queue_len, :status]))}"
        end
      end)

    handed =
      Enum.flat_map(stubs, fn stub ->
        send(stub, {:buffers, self()})
        receive do: ({:buffers, b} -> b)
      end)

    IO.puts("   tracer: #{us_per(us, n)} µs/event (#{length(handed)} buffers handed over)")
    for {_, buf} <- Enum.sort(handed), buf != [], do: buf
  end

  defp stub(parent, bufs) do
    receive do
      {:otpscope_chunk, tracer, seq, buf, _drops} ->
        send(tracer, {:otpscope_written, seq})
        stub(parent, [{seq, buf} | bufs])

      {:buffers, from} ->
        send(from, {:buffers, bufs})
    end
  end

  # -- 3. handoff --------------------------------------------------------

  defp handoff(chunks, n) do
    sink = :erlang.spawn_opt(fn -> sink() end, [{:message_queue_data, :off_heap}])

    {us, _} =
      :timer.tc(fn ->
        for c <- chunks do
          send(sink, {:chunk, c})
        end

        send(sink, {:done, self()})
        receive do: (:done -> :ok)
      end)

    IO.puts("   handoff copy (send a buffer): #{us_per(us, n)} µs/event")
  end

  defp sink do
    receive do
      {:chunk, _} -> sink()
      {:done, from} -> send(from, :done)
    end
  end

  # -- 4. encode ---------------------------------------------------------

  # Each chunk is encoded in a fresh process with an encoder's heap: the
  # caller's big heap (the whole capture) would make every GC of the
  # measurement slow.
  defp encode(chunks, n) do
    opts = Otpscope.Options.validate!([])
    limits = {opts.max_binary, opts.max_list, opts.max_map, opts.max_tuple, opts.max_depth}
    spawned = Otpscope.Chunk.new_spawn_table()
    enc = %{level: opts.level, limits: limits, spawned: spawned}

    rows =
      for c <- chunks do
        in_process(fn ->
          {chunk_us, chunk} = :timer.tc(fn -> Otpscope.Chunk.encode(c, [], limits, spawned) end)

          :ets.delete_all_objects(spawned)
          e = Otpscope.Encoder.setup(enc)
          {all_us, r} = :timer.tc(fn -> Otpscope.Encoder.encode(c, [], e) end)
          {crc_us, _} = :timer.tc(fn -> :erlang.crc32(chunk.pieces) end)
          {chunk_us, all_us, crc_us, r.usize, byte_size(r.data)}
        end)
      end

    [chunk_us, all_us, crc_us, usize, bytes] =
      Enum.map(0..4, fn i -> Enum.sum(for r <- rows, do: elem(r, i)) end)

    IO.puts("   Chunk.encode: #{us_per(chunk_us, n)} µs/event")
    IO.puts("   Encoder.encode (chunk + deflate + crc): #{us_per(all_us, n)} µs/event")
    IO.puts("   of which crc32 #{us_per(crc_us, n)}")

    IO.puts(
      "   chunk #{Float.round(usize / n, 2)} B/event raw, #{Float.round(bytes / n, 3)} deflated"
    )
  end

  defp in_process(fun) do
    parent = self()

    {pid, ref} =
      :erlang.spawn_opt(fn -> send(parent, {:result, self(), fun.()}) end, [
        :monitor,
        {:min_heap_size, Otpscope.Encoder.min_heap_size()}
      ])

    receive do
      {:result, ^pid, r} ->
        receive do: ({:DOWN, ^ref, _, _, _} -> r)

      {:DOWN, ^ref, _, _, why} ->
        raise "encode failed: #{inspect(why)}"
    end
  end

  # -- 5. eprof ----------------------------------------------------------

  defp eprof(chunks) do
    opts = Otpscope.Options.validate!([])
    limits = {opts.max_binary, opts.max_list, opts.max_map, opts.max_tuple, opts.max_depth}

    setup = fn ->
      Otpscope.Encoder.setup(%{
        level: opts.level,
        limits: limits,
        spawned: Otpscope.Chunk.new_spawn_table()
      })
    end

    :eprof.start()
    # eprof runs the function in a process of its own: the zlib stream is opened there
    {:ok, _} =
      :eprof.profile(fn ->
        enc = setup.()
        for c <- chunks, do: Otpscope.Encoder.encode(c, [], enc)
      end)

    :eprof.analyze(:total, sort: :time, filter: [time: 2000.0])
    :eprof.stop()
  end
end

Prof.main(System.argv())

defmodule Otpscope.RingTest do
  # Flight-recorder mode (`mode: :ring`): the window kept, dumps on each
  # trigger, recording going on after a dump, sampling.
  use ExUnit.Case, async: false

  import Otpscope.Test.Case
  alias Otpscope.Test.ArchiveReader

  setup do
    on_exit(fn -> Otpscope.stop() end)
    :ok
  end

  defp totals(a, key) do
    [_, v] = Regex.run(~r/"#{key}":"?([a-z_0-9-]+)"?/, a.totals)
    if v =~ ~r/^-?\d+$/, do: String.to_integer(v), else: v
  end

  defp dropped(a), do: Enum.reduce(a.drops, 0, fn {_, _, c, _}, acc -> acc + c end)

  # Sends {:tick, i} to itself and receives it, for each i of a batch, on
  # :go; then tells the test.
  defp ticker(me) do
    spawn(fn -> tick_batches(me) end)
  end

  defp tick_batches(me) do
    receive do
      {:go, range} ->
        for i <- range,
            do:
              (
                send(self(), {:tick, i})
                receive(do: ({:tick, ^i} -> :ok))
              )

        send(me, :batch_done)
        tick_batches(me)

      :exit ->
        :ok
    end
  end

  # Sends {:tick, i, t} to itself and receives it, `t` the time it was sent
  # at, every `every` ms until told to stop; tells `me` {:ticked, i, t}.
  defp timed_ticker(me, every) do
    spawn(fn ->
      Stream.iterate(1, &(&1 + 1))
      |> Enum.reduce_while(nil, fn i, _ ->
        t = System.monotonic_time(:nanosecond)
        send(self(), {:tick, i, t})
        receive do: ({:tick, ^i, _} -> :ok)
        send(me, {:ticked, i, t})

        receive do
          :exit -> {:halt, :ok}
        after
          every -> {:cont, nil}
        end
      end)
    end)
  end

  # What the ticker's trace says for batches `ranges`, in order.
  defp ticks(ranges) do
    Enum.flat_map(ranges, fn range ->
      [{:receive, {:go, range}}] ++
        Enum.flat_map(range, &[{:send, {:tick, &1}}, {:receive, {:tick, &1}}]) ++
        [{:send, :batch_done}]
    end)
  end

  # A dump of a `keep: {1, :seconds}` ring of timed_ticker/2's ticks: the
  # window is one second, every event is in it, and its ticks' sends follow
  # each other with none missing. `{window start, [{i, sent at}], first i}`.
  defp one_second_window(a) do
    from = totals(a, "window_from_ns")
    assert totals(a, "window_to_ns") - from == 1_000_000_000
    assert Enum.all?(a.events, &(&1.ts >= from))
    sent = for %{kind: :send, term: {:tick, i, t}} <- a.events, do: {i, t}
    assert [{first, _} | _] = sent
    {is, _} = Enum.unzip(sent)
    assert is == Enum.to_list(first..List.last(is)), "no tick is missing inside the window"
    {from, sent, first}
  end

  defp collect_ticks(acc) do
    receive do
      {:ticked, i, t} -> collect_ticks(Map.put(acc, i, t))
    after
      0 -> acc
    end
  end

  defp kinds_terms(a), do: Enum.map(a.events, &{&1.kind, &1.term})

  # Regression test: a name a process took while recorded is a fact of the
  # chunk that holds its call and return (no events of their own); a window
  # cut inside that chunk rebuilt its facts from the events kept, and lost it.
  test "a dump keeps the Registry key a process took in a chunk the window cuts" do
    {:ok, _} = Registry.start_link(keys: :unique, name: Otpscope.RingTest.Names)
    file = tmp_file("ring_names.zip")

    {:ok, _} =
      Otpscope.start(
        mode: :ring,
        keep: {100, :events},
        file: file,
        processes: :new,
        states: false,
        chunk_events: 64,
        flush_interval: 600_000,
        max_in_flight: 10_000,
        max_rate: :infinity
      )

    me = self()

    {pid, ref} =
      spawn_monitor(fn ->
        {:ok, _} = Registry.register(Otpscope.RingTest.Names, :taker, nil)
        # 59 sends and their receives: the window of 100 starts inside the first chunk
        for i <- 1..59, do: send(self(), {:tick, i})
        for _ <- 1..59, do: receive(do: ({:tick, _} -> :ok))
        send(me, :ticked)
      end)

    assert_receive :ticked
    assert_receive {:DOWN, ^ref, :process, ^pid, :normal}
    assert {:ok, dump} = Otpscope.dump()

    a = ArchiveReader.read(dump)
    assert totals(a, "events_evicted") > 0
    refute Enum.any?(a.events, &(&1.kind == :spawn and &1.pid == pid))
    stop = Enum.find(a.processes_stop, &(&1.pid == pid))
    assert %{names: [{:via, Registry, {Otpscope.RingTest.Names, :taker}}]} = stop
  end

  test "keep: {n, :events} keeps exactly the n most recent events, and recording goes on after a dump" do
    pid = ticker(self())
    file = tmp_file("ring.zip")

    {:ok, _} =
      Otpscope.start(
        mode: :ring,
        keep: {100, :events},
        file: file,
        processes: [pid],
        # many small chunks, so the window is cut inside one of them
        chunk_events: 64,
        max_in_flight: 10_000,
        max_rate: :infinity
      )

    send(pid, {:go, 1..1000})
    assert_receive :batch_done
    assert {:ok, first} = Otpscope.dump()
    assert first == Path.rootname(file) <> "-001.zip"

    send(pid, {:go, 1001..1010})
    assert_receive :batch_done
    assert {:ok, second} = Otpscope.dump()
    assert second == Path.rootname(file) <> "-002.zip"
    assert {:ok, [^first, ^second]} = Otpscope.dumps()

    a = ArchiveReader.read(first)
    assert totals(a, "events_dropped") == 0
    assert kinds_terms(a) == Enum.take(ticks([1..1000]), -100)
    assert totals(a, "events_written") == 100
    assert totals(a, "events_evicted") == length(ticks([1..1000])) - 100
    assert totals(a, "stop_reason") == "dump"
    assert totals(a, "mode") == "ring"
    # chunks renumbered from 0, the facts and totals of a whole archive
    assert "events/000000.etf" in a.names
    assert "totals.json" in a.names and "facts/processes-stop.etf" in a.names
    assert Enum.any?(a.processes_start, &(&1.pid == pid))

    b = ArchiveReader.read(second)
    assert kinds_terms(b) == Enum.take(ticks([1..1000, 1001..1010]), -100)
    assert totals(b, "events_evicted") == length(ticks([1..1000, 1001..1010])) - 100

    # stop writes the last window to :file
    assert {:ok, ^file} = Otpscope.stop()
    assert kinds_terms(ArchiveReader.read(file)) == kinds_terms(b)
    send(pid, :exit)
  end

  test "keep: {s, :seconds} keeps every event from the window's start on and none before" do
    pid = timed_ticker(self(), 5)

    file = tmp_file("ring_seconds.zip")

    {:ok, _} =
      Otpscope.start(
        mode: :ring,
        keep: {1, :seconds},
        file: file,
        processes: [pid],
        messages: true,
        chunk_events: 64
      )

    # well past the window: the first ticks are out of it at the dump
    assert_receive {:ticked, 1, _}
    Process.sleep(2_000)
    assert {:ok, path} = Otpscope.dump()
    a = ArchiveReader.read(path)
    assert totals(a, "events_dropped") == 0
    {from, sent, first} = one_second_window(a)
    assert first > 1, "the first ticks are out of the window"

    # The tick before the first one kept was sent before the window's start:
    # a tick sent at or after it has its send event in the window.
    send(pid, :exit)
    await_exits([pid])
    ticked = collect_ticks(%{})
    assert ticked[first - 1] < from
    assert Enum.all?(sent, fn {i, t} -> ticked[i] == t end)
    {:ok, _} = Otpscope.stop()
    stopped = ArchiveReader.read(file)
    assert Enum.all?(stopped.events, &(&1.ts >= totals(stopped, "window_from_ns")))
  end

  # Regression test: the window missed events inside it (seen under load).
  # The recorder takes a dump's time, then gathers its facts (ms, more on a
  # busy machine); the trace messages made meanwhile reach the tracer before
  # the request and the ring evicted chunks by their later times, while the
  # window ended at the request and started before those chunks. With a
  # chunk per tick, some chunk always ended in that gap.
  test "keep: {s, :seconds} with chunks shorter than the dump request's delay: no event from the window's start on is missing" do
    pid = timed_ticker(self(), 2)

    file = tmp_file("ring_behind.zip")

    {:ok, _} =
      Otpscope.start(
        mode: :ring,
        keep: {1, :seconds},
        file: file,
        processes: [pid],
        messages: true,
        # a chunk per tick (its send and receive)
        chunk_events: 2
      )

    # a full window, chunks evicted as they leave it
    assert_receive {:ticked, 1, _}
    Process.sleep(1_500)
    assert {:ok, path} = Otpscope.dump()
    send(pid, :exit)
    await_exits([pid])

    {from, _sent, first} = one_second_window(ArchiveReader.read(path))
    ticked = collect_ticks(%{})
    assert ticked[first - 1] < from, "tick #{first - 1}, sent in the window, is missing"
    {:ok, _} = Otpscope.stop()
  end

  test "dump_on: [exit_of: name] dumps when that process crashes, not when it stops normally" do
    {:ok, _} = Agent.start(fn -> 0 end, name: :ring_victim)
    victim = Process.whereis(:ring_victim)
    file = tmp_file("ring_exit.zip")

    {:ok, _} =
      Otpscope.start(
        mode: :ring,
        file: file,
        keep: {60, :seconds},
        dump_on: [exit_of: [:ring_victim, OtpscopeRingTest.Worker]],
        # both crashes dumped, however soon after each other
        min_dump_interval: 0
      )

    Agent.update(:ring_victim, &(&1 + 1))
    # a crash: the agent's function raises
    catch_exit(Agent.update(:ring_victim, fn _ -> raise "ring boom" end))

    [dump] =
      eventually(fn -> match?({:ok, [_]}, Otpscope.dumps()) && elem(Otpscope.dumps(), 1) end)

    a = ArchiveReader.read(dump)
    assert totals(a, "stop_reason") == "exit_of"

    assert Enum.any?(a.events, fn e ->
             e.kind == :exit and e.pid == victim and
               match?({%RuntimeError{message: "ring boom"}, _}, e.term)
           end),
           "the crash itself is in the window"

    # a callback module: a process started after the start, then a normal
    # stop (no dump) and a crash (a dump)
    {:ok, w1} = GenServer.start(OtpscopeRingTest.Worker, :ok)
    GenServer.stop(w1, :normal)
    {:ok, w2} = GenServer.start(OtpscopeRingTest.Worker, :ok)
    # the controller learns of w2 from its spawn event
    eventually(fn -> w2 in watched() end)
    GenServer.cast(w2, :crash)

    [^dump, dump2] =
      eventually(fn -> match?({:ok, [_, _]}, Otpscope.dumps()) && elem(Otpscope.dumps(), 1) end)

    b = ArchiveReader.read(dump2)
    assert Enum.any?(b.events, &(&1.kind == :exit and &1.pid == w2))
    assert Enum.any?(b.events, &(&1.kind == :exit and &1.pid == w1 and &1.term == :normal))
    assert {:ok, [^dump, ^dump2]} = Otpscope.dumps()
  end

  # Regression test: with `keep: {n, :events}` the window was the n newest
  # events when the dump was written, so a node busy between the crash and
  # the dump (here a ping-pong that never stops; on a real node a
  # supervisor's restart and the crash's reports) pushed the crash out of
  # its own dump. The window now ends at the crash's exit event, plus what
  # came after it.
  test "keep: {n, :events}: a crash's own exit is in its dump however busy the node is" do
    pong = spawn(fn -> pong() end)
    ping = spawn(fn -> ping(pong) end)
    {:ok, victim} = Agent.start(fn -> 0 end, name: :ring_busy_victim)
    file = tmp_file("ring_busy.zip")

    {:ok, _} =
      Otpscope.start(
        mode: :ring,
        file: file,
        keep: {50, :events},
        dump_on: [exit_of: [:ring_busy_victim]],
        max_rate: :infinity
      )

    Agent.update(:ring_busy_victim, &(&1 + 1))
    catch_exit(Agent.update(:ring_busy_victim, fn _ -> raise "busy boom" end))

    [dump] =
      eventually(fn -> match?({:ok, [_]}, Otpscope.dumps()) && elem(Otpscope.dumps(), 1) end)

    {:ok, _} = Otpscope.stop()
    Enum.each([ping, pong], &Process.exit(&1, :kill))
    a = ArchiveReader.read(dump)

    assert Enum.any?(a.events, fn e ->
             e.kind == :exit and e.pid == victim and
               match?({%RuntimeError{message: "busy boom"}, _}, e.term)
           end),
           "the crash itself is in the window (#{length(a.events)} events)"

    # the 50 events up to the crash are there; what came after it too
    assert length(a.events) >= 50
  end

  defp pong do
    receive do
      {:ping, from} -> send(from, :pong)
    end

    pong()
  end

  defp ping(pong) do
    send(pong, {:ping, self()})

    receive do
      :pong -> ping(pong)
    end
  end

  defp watched do
    %{watched: w} = :sys.get_state(Otpscope.Recorder)
    for {_ref, {pid, _}} <- w, do: pid
  end

  test "max_dumps and min_dump_interval: a crash loop makes a bounded number of dumps, the rest counted" do
    # a worker its supervisor restarts under the same name, crash after crash
    child = %{
      id: :loop,
      start: {GenServer, :start_link, [OtpscopeRingTest.Worker, :ok, [name: :ring_loop]]}
    }

    {:ok, sup} = Supervisor.start_link([child], strategy: :one_for_one, max_restarts: 100)
    Process.unlink(sup)

    file = tmp_file("ring_loop.zip")

    {:ok, _} =
      Otpscope.start(
        mode: :ring,
        file: file,
        keep: {60, :seconds},
        dump_on: [exit_of: :ring_loop],
        max_dumps: 2,
        min_dump_interval: 0
      )

    crash_loop(4)
    assert %{dumps: 2, dumps_skipped: 2} = Otpscope.info()
    {:ok, [d1, d2]} = Otpscope.dumps()
    # dump/0 is asked for, not triggered: written past max_dumps, not counted
    {:ok, d3} = Otpscope.dump()
    assert {:ok, [^d1, ^d2, ^d3]} = Otpscope.dumps()
    assert %{dumps: 3, dumps_skipped: 2} = Otpscope.info()
    {:ok, ^file} = Otpscope.stop()

    # a minimum interval: the second crash comes within it
    {:ok, _} =
      Otpscope.start(
        mode: :ring,
        file: tmp_file("ring_interval.zip"),
        keep: {60, :seconds},
        dump_on: [exit_of: :ring_loop],
        min_dump_interval: 3_600_000
      )

    crash_loop(2)
    assert %{dumps: 1, dumps_skipped: 1} = Otpscope.info()
    {:ok, [dump]} = Otpscope.dumps()
    assert totals(ArchiveReader.read(dump), "stop_reason") == "exit_of"
    {:ok, _} = Otpscope.stop()
    Supervisor.stop(sup)
  end

  # Crashes the :ring_loop worker `n` times, each once the recorder watches
  # it and after the recorder dealt with the one before (dumped or counted).
  defp crash_loop(n) do
    for k <- 1..n do
      pid = eventually(fn -> (p = Process.whereis(:ring_loop)) && p in watched() && p end)
      GenServer.cast(pid, :crash)

      # (info/0 may time out while the controller writes a dump)
      eventually(fn ->
        match?(%{dumps: d, dumps_skipped: s} when d + s == k, Otpscope.info())
      end)
    end
  end

  test "dump_on: [telemetry: event] dumps on that :telemetry event" do
    # A stand-in :telemetry (the real one is a hex package) with the part of
    # its API the recorder uses: attach_many/4, detach/1, execute/3.
    Code.compile_string("""
    defmodule :telemetry do
      def attach_many(id, events, fun, config) do
        :persistent_term.put({:telemetry_stub, id}, {events, fun, config})
        :ok
      end

      def detach(id), do: (:persistent_term.erase({:telemetry_stub, id}); :ok)

      def execute(event, measurements, metadata) do
        for {{:telemetry_stub, _id}, {events, fun, config}} <- :persistent_term.get(),
            event in events,
            do: fun.(event, measurements, metadata, config)

        :ok
      end
    end
    """)

    try do
      file = tmp_file("ring_telemetry.zip")

      {:ok, _} =
        Otpscope.start(
          mode: :ring,
          file: file,
          telemetry: false,
          dump_on: [telemetry: [:my_app, :incident]]
        )

      apply(:telemetry, :execute, [[:my_app, :other], %{}, %{}])
      apply(:telemetry, :execute, [[:my_app, :incident], %{}, %{}])

      [dump] =
        eventually(fn -> match?({:ok, [_]}, Otpscope.dumps()) && elem(Otpscope.dumps(), 1) end)

      assert totals(ArchiveReader.read(dump), "stop_reason") == "telemetry"
      {:ok, _} = Otpscope.stop()
      # detached at stop
      assert for({{:telemetry_stub, _}, _} <- :persistent_term.get(), do: 1) == []
    after
      :code.purge(:telemetry)
      :code.delete(:telemetry)
      :code.purge(:telemetry)
    end
  end

  test "dump_on: [telemetry: ...] without :telemetry on the node is refused" do
    assert {:error, {:telemetry_not_loaded, _}} =
             Otpscope.start(mode: :ring, dump_on: [telemetry: [:a, :b]], file: tmp_file("t.zip"))
  end

  test "sample: records the processes in the sample whole, and no other" do
    me = self()
    file = tmp_file("sample.zip")

    # a process from before the start and one from after, each a pong
    pong = fn -> receive(do: ({:ping, from} -> send(from, :pong))) end
    before = for _ <- 1..40, do: spawn(pong)
    {:ok, _} = Otpscope.start(mode: :ring, file: file, sample: 0.5, states: false)
    later = for _ <- 1..40, do: spawn(pong)
    pids = before ++ later

    for p <- pids do
      send(p, {:ping, me})
      assert_receive :pong
    end

    await_exits(pids)
    {:ok, _} = Otpscope.stop()
    a = ArchiveReader.read(file)
    threshold = Otpscope.Trace.sample_threshold(0.5)
    {inside, outside} = Enum.split_with(pids, &Otpscope.Tracer.in_sample?(&1, threshold))
    assert inside != [] and outside != []
    by_pid = Enum.group_by(a.events, & &1.pid)

    for p <- inside do
      kinds = Enum.map(Map.get(by_pid, p, []), & &1.kind)
      assert :receive in kinds and :send in kinds and :exit in kinds, inspect({p, kinds})
    end

    for p <- outside, do: refute(Map.has_key?(by_pid, p), inspect(p))
    assert totals(a, "events_dropped") == dropped(a)
  end

  test "options: keep and dump_on need mode: :ring; bad values name the option" do
    assert_raise ArgumentError, ~r/:keep needs mode: :ring/, fn ->
      Otpscope.start(keep: {1, :seconds})
    end

    assert_raise ArgumentError, ~r/:dump_on needs mode: :ring/, fn ->
      Otpscope.start(dump_on: [exit_of: :x])
    end

    assert_raise ArgumentError, ~r/:max_dumps needs mode: :ring/, fn ->
      Otpscope.start(max_dumps: 3)
    end

    assert_raise ArgumentError, ~r/:min_dump_interval needs mode: :ring/, fn ->
      Otpscope.start(min_dump_interval: 0)
    end

    assert_raise ArgumentError, ~r/invalid value for :max_dumps/, fn ->
      Otpscope.start(mode: :ring, max_dumps: -1)
    end

    assert_raise ArgumentError, ~r/invalid value for :min_dump_interval/, fn ->
      Otpscope.start(mode: :ring, min_dump_interval: 1.5)
    end

    assert_raise ArgumentError, ~r/invalid value for :mode/, fn -> Otpscope.start(mode: :loop) end

    assert_raise ArgumentError, ~r/invalid value for :keep/, fn ->
      Otpscope.start(mode: :ring, keep: {1, :hours})
    end

    assert_raise ArgumentError, ~r/invalid value for :sample/, fn -> Otpscope.start(sample: 0) end

    assert_raise ArgumentError, ~r/invalid value for :dump_on/, fn ->
      Otpscope.start(mode: :ring, dump_on: [exit_of: "x"])
    end

    {:ok, _} = Otpscope.start(file: tmp_file("not_ring.zip"), processes: [self()])
    assert Otpscope.dump() == {:error, :not_ring_mode}
  end
end

defmodule OtpscopeRingTest.Worker do
  @moduledoc false
  use GenServer
  def init(:ok), do: {:ok, 0}
  def handle_cast(:crash, _s), do: raise("worker boom")
end

# Writes the fixture archives the TypeScript reader is tested against, each
# with a <name>.expected.json computed by the Elixir-side reader, plus the
# UI's demo archive.
#
#     cd dump_tool && mix run scripts/gen_fixtures.exs [--demo-only]
#
# --demo-only writes public/demo/demo.zip alone and leaves the test fixtures
# as they are (the TypeScript and browser tests pin pids in them).
#
# Every archive is a real recording of the demo application in
# test/support/demo (compiled in dev and test only).

alias Otpscope.Test.{ArchiveReader, Expected}

{args, _} = OptionParser.parse!(System.argv(), strict: [demo_only: :boolean])
demo_only? = Keyword.get(args, :demo_only, false)

# Test fixtures are recorded with the writer as the only encoder: no encoder
# process is spawned before the demo starts, so its processes keep the pids
# the browser tests name (<0.138.0>, <0.139.0>).
fixture_opts = [encoders: 1]

root = Path.expand("../..", __DIR__)
out = Path.join(root, "test/fixtures/archives")
public = Path.join(root, "public/demo")
File.mkdir_p!(out)
File.mkdir_p!(public)
OtpscopeDemo.App.load_modules()
# The crash scenarios are meant to crash; keep their reports off the console.
:logger.set_primary_config(:level, :none)

await = fn tag, timeout ->
  receive do
    {^tag, _} -> :ok
  after
    timeout -> raise "fixture scenario timed out waiting for #{inspect(tag)}"
  end
end

check = fn path, fun ->
  a = ArchiveReader.read(path)
  fun.(a) || raise "#{path}: unexpected content"

  IO.puts(
    "#{Path.basename(path)}: #{File.stat!(path).size} bytes, #{length(a.events)} events, #{length(a.chunks)} chunks"
  )
end

if not demo_only? do
  # demo.zip: WorkerA counts 0..3, pinging WorkerB each time. Small chunks so
  # the reader sees several (and truncated.zip can cut one in the middle).
  demo = Path.join(out, "demo.zip")
  {:ok, _} = Otpscope.start([file: demo, processes: :new, chunk_events: 24] ++ fixture_opts)
  OtpscopeDemo.App.start_app(worker_a: [notify: self(), interval: 20, until: 3])
  await.(:demo_done, 2_000)
  {:ok, _} = Otpscope.stop()
  OtpscopeDemo.App.stop_app()

  check.(demo, fn a ->
    a_pid =
      Enum.find_value(
        a.events,
        &(&1.kind == :register and &1.term == OtpscopeDemo.WorkerA and &1.pid)
      )

    Enum.map(ArchiveReader.states(a.events, a_pid), & &1.count) == [0, 1, 2, 3]
  end)

  Expected.write!(demo,
    states: [
      {OtpscopeDemo.WorkerA, "OtpscopeDemo.WorkerA"},
      {OtpscopeDemo.WorkerB, "OtpscopeDemo.WorkerB"}
    ]
  )

  # truncated.zip: demo.zip cut in the middle of its third event chunk (no
  # central directory, a cut-off last entry).
  bin = File.read!(demo)
  {pos, _} = :binary.matches(bin, "events/000002.etf") |> hd()
  header_at = pos - 30
  <<_::binary-size(header_at + 18), csize::little-32, _::binary>> = bin
  cut = pos + byte_size("events/000002.etf") + div(csize, 2)
  truncated = Path.join(out, "truncated.zip")
  File.write!(truncated, binary_part(bin, 0, cut))
  check.(truncated, fn a -> length(a.chunks) == 2 and a.scan.warnings != [] end)
  Expected.write!(truncated, states: [{OtpscopeDemo.WorkerA, "OtpscopeDemo.WorkerA"}])

  # crash.zip: a child that crashes 10 ms after each start, three times: a
  # supervisor restart loop.
  crash = Path.join(out, "crash.zip")

  OtpscopeDemo.App.start_app(
    worker_a: [until: 0],
    crashes: 3,
    extra_children: [OtpscopeDemo.Crasher]
  )

  crashed = fn n ->
    Enum.find(1..3000, fn _ ->
      Process.sleep(1)
      Application.get_env(:otpscope_demo, :crashed) == n
    end)
  end

  # The crash loop of the app's own start: the recording starts as its last
  # crash happens (its reports and the last restart are in the archive).
  crashed.(3)
  {:ok, _} = Otpscope.start([file: crash, processes: :all, messages: true] ++ fixture_opts)
  # Restart the crasher under recording so its whole life is in the archive.
  Application.put_env(:otpscope_demo, :crashed, 0)
  old_crasher = Process.whereis(OtpscopeDemo.Crasher)
  :ok = Supervisor.terminate_child(OtpscopeDemo.Supervisor, OtpscopeDemo.Crasher)
  # A late message to the stopped instance: a send_to_dead, with a binary over
  # max_binary (one truncated term).
  send(old_crasher, {:late, String.duplicate("x", 600)})
  {:ok, _} = Supervisor.restart_child(OtpscopeDemo.Supervisor, OtpscopeDemo.Crasher)
  # Until the third crash (a loaded machine can be slow), then the last restart.
  crashed.(3)

  Process.sleep(50)
  {:ok, _} = Otpscope.stop()
  OtpscopeDemo.App.stop_app()

  check.(crash, fn a ->
    Enum.count(a.events, &(&1.kind == :exit and match?({%RuntimeError{}, _}, &1.term))) == 3 and
      Enum.any?(a.events, &(&1.kind == :send_to_dead)) and a.totals =~ ~s("terms_truncated":1)
  end)

  Expected.write!(crash, first: 50)

  # flood.zip: 3000 messages into a mailbox with max_rate 200 events/s: most
  # are dropped, and counted.
  flood = Path.join(out, "flood.zip")
  me = self()

  receiver =
    spawn(fn ->
      receive do: (:go -> :ok)
      for _ <- 1..3000, do: receive(do: ({:flood, _} -> :ok))
      send(me, {:flood_received, 3000})
      receive do: (:exit -> :ok)
    end)

  flooder =
    spawn(fn ->
      receive do: (:go -> :ok)
      for i <- 1..3000, do: send(receiver, {:flood, i})
      receive do: (:exit -> :ok)
    end)

  {:ok, _} =
    Otpscope.start(
      [file: flood, processes: [receiver, flooder], max_rate: 200, states: false] ++ fixture_opts
    )

  send(receiver, :go)
  send(flooder, :go)
  await.(:flood_received, 5_000)
  {:ok, _} = Otpscope.stop()
  send(receiver, :exit)
  send(flooder, :exit)

  check.(flood, fn a ->
    dropped = Enum.reduce(a.drops, 0, fn {_, _, c, _}, acc -> acc + c end)
    dropped > 0 and length(a.events) + dropped == 2 * 3000 + 3
  end)

  Expected.write!(flood)

  # statem.zip: a gen_statem code lock (state functions): wrong code, right
  # code, state timeout back to locked.
  statem = Path.join(out, "statem.zip")
  {:ok, _} = Otpscope.start([file: statem, processes: :new] ++ fixture_opts)
  {:ok, door} = OtpscopeDemo.Door.start_link([1, 2, 3])

  Task.async(fn ->
    for d <- [9, 9, 9, 1, 2, 3], do: OtpscopeDemo.Door.press(d)
    Process.sleep(60)
    OtpscopeDemo.Door.press(1)
  end)
  |> Task.await()

  {:ok, _} = Otpscope.stop()
  Process.unlink(door)
  :gen_statem.stop(door)

  check.(statem, fn a ->
    Enum.any?(a.events, &(&1.kind == :call and match?({_, :open, 3}, &1.mfa)))
  end)

  Expected.write!(statem)

  # calltrace.zip: call tracing of a module: recursion, a local function, an
  # exception, and a list argument cut by max_list.
  calltrace = Path.join(out, "calltrace.zip")

  worker =
    spawn(fn ->
      receive do: (:go -> :ok)
      OtpscopeDemo.Calc.sum([1, 2, 3])
      OtpscopeDemo.Calc.mean(Enum.to_list(1..30))
      OtpscopeDemo.Calc.parse!("42")

      try do
        OtpscopeDemo.Calc.parse!("forty-two")
      rescue
        ArgumentError -> :ok
      end

      send(me, {:calc_done, :ok})
    end)

  {:ok, _} =
    Otpscope.start(
      file: calltrace,
      processes: [worker],
      modules: [OtpscopeDemo.Calc],
      states: false,
      max_list: 10,
      encoders: 1
    )

  send(worker, :go)
  await.(:calc_done, 2_000)
  Process.sleep(20)
  {:ok, _} = Otpscope.stop()
  check.(calltrace, fn a -> Enum.any?(a.events, &(&1.kind == :exception)) end)
  Expected.write!(calltrace)
end

# public/demo/demo.zip: the UI's "open demo", a few thousand events:
# WorkerA/WorkerB counting to 40, a crash/restart loop, a slow call, a call
# that times out (its reply comes too late), the gen_statem code lock, and a
# burst of jobs that backs up a slow consumer's mailbox.
rich = Path.join(public, "demo.zip")
# Loaded only now (not one of the app's modules) so the test fixtures above
# stay as they were.
Code.ensure_loaded!(OtpscopeDemo.Backlog)
{:ok, _} = Otpscope.start(file: rich, processes: :new, lines: [OtpscopeDemo.WorkerA])

OtpscopeDemo.App.start_app(
  worker_a: [notify: self(), interval: 15, until: 40],
  crashes: 5,
  extra_children: [OtpscopeDemo.Crasher, {OtpscopeDemo.Door, [4, 2]}, OtpscopeDemo.Backlog]
)

Task.async(fn ->
  OtpscopeDemo.WorkerB.slow(120)

  try do
    GenServer.call(OtpscopeDemo.WorkerB, {:slow, 150}, 40)
  catch
    :exit, {:timeout, _} -> :timeout
  end

  for d <- [1, 4, 2, 9, 4, 4, 2], do: OtpscopeDemo.Door.press(d)
  OtpscopeDemo.Backlog.flood(300)
  300 = OtpscopeDemo.Backlog.drained()
end)
|> Task.await(10_000)

await.(:demo_done, 5_000)
Process.sleep(80)
{:ok, _} = Otpscope.stop()
OtpscopeDemo.App.stop_app()
check.(rich, fn a -> length(a.events) in 1_000..8_000 end)

if not demo_only? do
  total = Path.wildcard(Path.join(out, "*")) |> Enum.map(&File.stat!(&1).size) |> Enum.sum()
  IO.puts("fixtures: #{total} bytes in #{out}")
end

# Writes the fixture archives the TypeScript reader is tested against, each
# with a <name>.expected.json computed by the Elixir-side reader, plus the
# UI's demo archive.
#
#     cd dump_tool && mix run scripts/gen_fixtures.exs
#
# Every archive is a real recording of the demo application in
# test/support/demo (compiled in dev and test only).

alias Otpscope.Test.{ArchiveReader, Expected}

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

# demo.zip: WorkerA counts 0..3, pinging WorkerB each time. Small chunks so
# the reader sees several (and truncated.zip can cut one in the middle).
demo = Path.join(out, "demo.zip")
{:ok, _} = Otpscope.start(file: demo, processes: :new, chunk_events: 24)
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

{:ok, _} = Otpscope.start(file: crash, processes: :all, messages: true)
# Restart the crasher under recording so its whole life is in the archive.
Application.put_env(:otpscope_demo, :crashed, 0)
:ok = Supervisor.terminate_child(OtpscopeDemo.Supervisor, OtpscopeDemo.Crasher)
{:ok, _} = Supervisor.restart_child(OtpscopeDemo.Supervisor, OtpscopeDemo.Crasher)
Process.sleep(150)
{:ok, _} = Otpscope.stop()
OtpscopeDemo.App.stop_app()

check.(crash, fn a ->
  Enum.count(a.events, &(&1.kind == :exit and match?({%RuntimeError{}, _}, &1.term))) == 3
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
  Otpscope.start(file: flood, processes: [receiver, flooder], max_rate: 200, states: false)

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
{:ok, _} = Otpscope.start(file: statem, processes: :new)
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
    max_list: 10
  )

send(worker, :go)
await.(:calc_done, 2_000)
Process.sleep(20)
{:ok, _} = Otpscope.stop()
check.(calltrace, fn a -> Enum.any?(a.events, &(&1.kind == :exception)) end)
Expected.write!(calltrace)

# public/demo/demo.zip: the UI's "open demo": WorkerA/WorkerB counting to 5, a
# crash/restart loop, a slow call and the gen_statem.
rich = Path.join(public, "demo.zip")
{:ok, _} = Otpscope.start(file: rich, processes: :new)

OtpscopeDemo.App.start_app(
  worker_a: [notify: self(), interval: 30, until: 5],
  crashes: 3,
  extra_children: [OtpscopeDemo.Crasher, {OtpscopeDemo.Door, [4, 2]}]
)

Task.async(fn ->
  OtpscopeDemo.WorkerB.slow(120)
  for d <- [1, 4, 2], do: OtpscopeDemo.Door.press(d)
end)
|> Task.await()

await.(:demo_done, 3_000)
Process.sleep(80)
{:ok, _} = Otpscope.stop()
OtpscopeDemo.App.stop_app()
check.(rich, fn a -> length(a.events) < 5_000 end)

total = Path.wildcard(Path.join(out, "*")) |> Enum.map(&File.stat!(&1).size) |> Enum.sum()
IO.puts("fixtures: #{total} bytes in #{out}")

# Stopping a recording of every process on a busy node with many GenServer
# modules: on OTP < 27 every call pattern the recorder set is taken off at
# stop (other tools' stay), each trace_pattern call waiting for a code
# barrier. Prints the patterns set, the modules they are in, and how long
# Otpscope.stop/0 took. docs/PERFORMANCE.md, "Stopping on OTP 25", has the
# figures.
#
#     cd dump_tool && elixir --sname stop_bench -pa _build/dev/lib/otpscope/ebin \
#       bench/stop_patterns.exs MODULES DIR
#
# MODULES GenServer modules (20 functions each, one process each) are
# compiled and started first; the node then spawns 2,000 processes in a
# loop (each sends a 200-byte random binary), recorded for 3 s.
:logger.set_primary_config(:level, :warning)
[n, dir] = System.argv()
n = String.to_integer(n)
File.mkdir_p!(dir)
file = Path.join(dir, "stop_#{System.pid()}.zip")

for i <- 1..n do
  extra = for j <- 1..14, do: "def f#{j}(x), do: x + #{j}"

  Code.compile_string("""
  defmodule StopBench.S#{i} do
    use GenServer
    def init(x), do: {:ok, x}
    def handle_call(m, _f, s), do: {:reply, m, s}
    def handle_cast(_m, s), do: {:noreply, s}
    def handle_info(_m, s), do: {:noreply, s}
    #{Enum.join(extra, "\n")}
  end
  """)

  {:ok, _} = GenServer.start(Module.concat(StopBench, "S#{i}"), i)
end

spawn(fn ->
  me = self()

  Stream.repeatedly(fn ->
    for i <- 1..2_000, do: spawn(fn -> send(me, {:x, i, :crypto.strong_rand_bytes(200)}) end)
    for _ <- 1..2_000, do: receive(do: ({:x, _, _} -> :ok))
  end)
  |> Stream.run()
end)

{:ok, _} = Otpscope.start(file: file, processes: :all)
Process.sleep(3_000)
t = :sys.get_state(Otpscope.Recorder).trace
mods = t.patterns |> Enum.map(fn {{m, _, _}, _, _} -> m end) |> Enum.uniq() |> length()
t0 = System.monotonic_time(:millisecond)
me = self()

# when the process flags and the patterns were off, polled every 10 ms at
# max priority (a GenServer's flags; every module's handle_call/3 pattern)
spawn(fn ->
  Process.flag(:priority, :max)
  pid = GenServer.whereis(Module.concat(StopBench, "S1")) || self()
  fns = for i <- 1..n, do: {Module.concat(StopBench, "S#{i}"), :handle_call, 3}
  off = fn -> :erlang.trace_info(pid, :flags) == {:flags, []} end
  none = fn -> Enum.all?(fns, &(:erlang.trace_info(&1, :traced) == {:traced, false})) end

  poll = fn poll, flags_ms ->
    now = System.monotonic_time(:millisecond) - t0
    flags_ms = flags_ms || if(off.(), do: now)

    if flags_ms && none.() do
      send(me, {:off, flags_ms, now})
    else
      Process.sleep(10)
      poll.(poll, flags_ms)
    end
  end

  poll.(poll, nil)
end)

r = Otpscope.stop()
ms = System.monotonic_time(:millisecond) - t0
{flags_ms, patterns_ms} = receive(do: ({:off, f, p} -> {f, p}))

IO.puts(
  "otp=#{System.otp_release()} patterns=#{length(t.patterns)} modules=#{mods} " <>
    "flags_off_ms=#{flags_ms} patterns_off_ms=#{patterns_ms} stop_ms=#{ms} result=#{inspect(elem(r, 0))}"
)

File.rm(file)

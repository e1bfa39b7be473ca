# What loading modules while recorded costs the node, and how long a module
# loaded while recorded keeps the pattern it got at load (Otpscope.Trace
# watch_loads/2) before the recorder narrows it to its callbacks.
#
#     cd dump_tool && mix run bench/late_loads.exs MODE N CALLS
#
# MODE is `untraced` or `recorded` (`processes: :all`). N modules are built
# in memory first (Erlang forms, one in ten a gen_server); then one process
# loads them one by one (`:code.load_binary/3`) and calls each one's exported
# `f/1` CALLS times right after its load (and starts each gen_server and calls
# it 10 times): the worst case for the pattern at load, whose every call is a
# trace message until the narrowing. Prints one JSON line: the loop's wall
# time and the node's CPU time (`:erlang.statistics(:runtime)`), and, per
# module, the time from its load's return to its narrowing (`lag_ms`: median,
# 90th percentile, max; polled between calls) and the calls made meanwhile.
# Run the old and the new recorder's trees alternately to compare.

[mode, n, calls] = System.argv()
{n, calls} = {String.to_integer(n), String.to_integer(calls)}
tag = System.unique_integer([:positive])

forms = fn name, server? ->
  a = 1

  plain = [
    {:attribute, a, :module, name},
    {:attribute, a, :export, [f: 1]},
    {:function, a, :f, 1,
     [{:clause, a, [{:var, a, :X}], [], [{:op, a, :+, {:var, a, :X}, {:integer, a, 1}}]}]}
  ]

  if server? do
    [m, e, f] = plain

    [
      m,
      {:attribute, a, :behaviour, :gen_server},
      {:attribute, a, :export, [init: 1, handle_call: 3, handle_cast: 2, handle_info: 2]},
      e,
      f,
      {:function, a, :init, 1,
       [{:clause, a, [{:var, a, :N}], [], [{:tuple, a, [{:atom, a, :ok}, {:var, a, :N}]}]}]},
      {:function, a, :handle_call, 3,
       [
         {:clause, a, [{:var, a, :_R}, {:var, a, :_F}, {:var, a, :S}], [],
          [
            {:tuple, a,
             [{:atom, a, :reply}, {:var, a, :S}, {:op, a, :+, {:var, a, :S}, {:integer, a, 1}}]}
          ]}
       ]},
      {:function, a, :handle_cast, 2,
       [
         {:clause, a, [{:var, a, :_R}, {:var, a, :S}], [],
          [{:tuple, a, [{:atom, a, :noreply}, {:var, a, :S}]}]}
       ]},
      {:function, a, :handle_info, 2,
       [
         {:clause, a, [{:var, a, :_R}, {:var, a, :S}], [],
          [{:tuple, a, [{:atom, a, :noreply}, {:var, a, :S}]}]}
       ]}
    ]
  else
    plain
  end
end

mods =
  for i <- 1..n do
    name = :"late_bench_#{tag}_#{i}"
    server? = rem(i, 10) == 0
    {:ok, ^name, bin} = :compile.forms(forms.(name, server?), [:binary])
    {name, bin, server?}
  end

# the pattern `mod` got at load is still on (Otpscope.Trace.broad?/2, read without it: the old tree has none)
file = Path.join(System.tmp_dir!(), "late_loads_#{tag}.zip")
if mode == "recorded", do: {:ok, _} = Otpscope.start(file: file, processes: :all)
trace = if mode == "recorded", do: :sys.get_state(Otpscope.Recorder).trace

broad? = fn mod ->
  mfa = {mod, :module_info, 0}

  info =
    cond do
      trace == nil -> nil
      trace.backend == :session -> apply(:trace, :info, [trace.session, mfa, :match_spec])
      true -> :erlang.trace_info(mfa, :match_spec)
    end

  info == {:match_spec, [{:_, [true], [{:exception_trace}]}]}
end

{cpu0, _} = :erlang.statistics(:runtime)
t0 = System.monotonic_time(:microsecond)

lags =
  for {name, bin, server?} <- mods do
    {:module, ^name} = :code.load_binary(name, ~c"late_bench.beam", bin)
    loaded = System.monotonic_time(:microsecond)

    # calls, then polls between them until narrowed: {lag_us | nil, calls while broad}
    {lag, during} =
      Enum.reduce(1..calls, {nil, 0}, fn i, {lag, during} ->
        name.f(i)

        cond do
          lag != nil ->
            {lag, during}

          rem(i, 10) == 0 and not broad?.(name) ->
            {System.monotonic_time(:microsecond) - loaded, i}

          true ->
            {lag, during}
        end
      end)

    if server? do
      {:ok, pid} = :gen_server.start(name, 0, [])
      for _ <- 1..10, do: :gen_server.call(pid, :get)
      :gen_server.stop(pid)
    end

    lag =
      lag ||
        (
          wait = fn wait ->
            if broad?.(name),
              do:
                (
                  Process.sleep(1)
                  wait.(wait)
                ),
              else: :ok
          end

          wait.(wait)
          System.monotonic_time(:microsecond) - loaded
        )

    {lag, if(during == 0, do: calls, else: during)}
  end

wall = System.monotonic_time(:microsecond) - t0
{cpu, _} = :erlang.statistics(:runtime)
if mode == "recorded", do: {:ok, _} = Otpscope.stop()
File.rm(file)

sorted = lags |> Enum.map(&elem(&1, 0)) |> Enum.sort()
pct = fn p -> Enum.at(sorted, min(length(sorted) - 1, div(p * length(sorted), 100))) / 1000 end
{load1, _} = Float.parse(hd(String.split(File.read!("/proc/loadavg"))))

IO.puts(
  Otpscope.JSON.encode(
    {:object,
     [
       {"mode", mode},
       {"otp", List.to_string(:erlang.system_info(:otp_release))},
       {"modules", n},
       {"calls", calls},
       {"wall_ms", div(wall, 1000)},
       {"cpu_ms", cpu - cpu0},
       {"lag_ms", {:object, [{"p50", pct.(50)}, {"p90", pct.(90)}, {"max", pct.(100)}]}},
       {"calls_while_broad_max", lags |> Enum.map(&elem(&1, 1)) |> Enum.max()},
       {"load1", load1}
     ]}
  )
)

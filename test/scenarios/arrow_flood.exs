# More arrows than one Timeline tile draws (5000 messages and 5000 signals after decimation:
# src/engine/views/timeline.ts ARROW_LIMIT), beside signals: a driver sends to 20 echo processes and waits for
# their 20 answers, 400 rounds (16000 messages, every pair of lanes busy over the whole trace, so even the whole
# trace at one pixel per bucket holds more), while a watcher that traps exits links to and monitors 20 short-lived
# processes, each of which exits with a reason of its own (an :EXIT and a :DOWN for each: 40 signals).
# Records new processes only, so the script's own process is not traced.
#   cd dump_tool && mix run ../test/scenarios/arrow_flood.exs
out = Path.expand(System.get_env("OUT", "../test/fixtures/scenarios"))
name = System.get_env("NAME", "arrow-flood.zip")

Otpscope.record([file: Path.join(out, name), processes: :new, max_rate: :infinity], fn ->
  parent = self()

  watcher =
    spawn(fn ->
      Process.flag(:trap_exit, true)
      pids = for i <- 1..20, do: spawn(fn -> receive(do: (:go -> exit({:done, i}))) end)
      for p <- pids, do: Process.link(p) && Process.monitor(p)

      for p <- pids do
        send(p, :go)
        receive(do: ({:EXIT, ^p, _} -> :ok))
        receive(do: ({:DOWN, _, :process, ^p, _} -> :ok))
      end

      send(parent, :watched)
    end)

  echo = fn -> Stream.repeatedly(fn -> receive(do: ({:ping, from, i} -> send(from, {:pong, self(), i}))) end) |> Stream.run() end
  echoes = for _ <- 1..20, do: spawn(echo)

  driver =
    spawn(fn ->
      for i <- 1..400 do
        for e <- echoes, do: send(e, {:ping, self(), i})
        for e <- echoes, do: receive(do: ({:pong, ^e, ^i} -> :ok))
      end

      send(parent, :driven)
    end)

  receive(do: (:watched -> :ok))
  receive(do: (:driven -> :ok))
  for e <- echoes, do: Process.exit(e, :kill)
  _ = {watcher, driver}
end)

# A recording cut short by max_events: a ping-pong that goes on after the
# recorder stopped by itself (totals.json stop_reason "max_events"); what came
# after is not in the archive and not counted as dropped.
out = System.get_env("OUT", "../test/fixtures/scenarios")

Otpscope.record([file: Path.join(out, "max-events.zip"), processes: :new, max_events: 40], fn ->
  pong = spawn(fn -> Stream.repeatedly(fn -> receive(do: ({from, n} -> send(from, n))) end) |> Stream.run() end)
  for n <- 1..100, do: (send(pong, {self(), n}); receive(do: (^n -> :ok)))
  Process.exit(pong, :kill)
end)

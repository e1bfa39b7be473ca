# Many quiet processes under one supervisor beside a few busy ones: a driver
# starts 100 workers under a DynamicSupervisor (started by the driver, so the
# supervisor and the driver share their node's group) and calls each worker
# ten times. The workers' group holds more events in all (100 x ~44) than the
# group of the driver and the supervisor, whose processes are each far busier:
# the Timeline must put first, and open, the group of the busiest processes.
defmodule Scn.Quiet do
  use GenServer
  def init(n), do: {:ok, %{n: n, hits: 0}}
  def handle_call(:hit, _from, s), do: {:reply, s.hits + 1, %{s | hits: s.hits + 1}}
end

out = System.get_env("OUT", "../test/fixtures/scenarios")
Code.ensure_loaded(Scn.Quiet)

Otpscope.record([file: Path.join(out, System.get_env("NAME", "wide-group.zip")), processes: :new], fn ->
  driver =
    Task.async(fn ->
      {:ok, _} = DynamicSupervisor.start_link(strategy: :one_for_one, name: Scn.Wide)

      pids =
        for i <- 1..100,
            do: elem(DynamicSupervisor.start_child(Scn.Wide, %{id: i, start: {GenServer, :start_link, [Scn.Quiet, i]}}), 1)

      for _ <- 1..10, p <- pids, do: GenServer.call(p, :hit)
      :ok
    end)

  :ok = Task.await(driver, 60_000)
end)

# Flight-recorder mode benchmark: the slowdown of a traced workload in ring
# mode (with and without `sample:`) against the default mode. Prints one
# JSON object.
#
#     cd dump_tool && mix run bench/ring_bench.exs [--calls N] [--runs N]
#
# Workload: 20 GenServer client/server pairs making `calls` calls in all,
# concurrently, traced for send, receive and call on all processes (the
# servers' handle_call/3 with exception_trace): 6 events per call. Many
# pairs, so that `sample: 0.1` records about a tenth of them. The modes
# alternate `runs` times and each figure is the median (single runs on a
# shared machine differ by 10-20 %).

defmodule RingBench.Pong do
  use GenServer
  def init(n), do: {:ok, n}
  def handle_call(:ping, _from, n), do: {:reply, :pong, n}
end

defmodule RingBench do
  @pairs 20

  def run(calls, runs) do
    tmp = Path.join(System.tmp_dir!(), "otpscope_ring_bench_#{System.os_time()}")
    File.mkdir_p!(tmp)
    :logger.set_primary_config(:level, :error)
    Code.ensure_loaded!(RingBench.Pong)
    workload(div(calls, 10) + 1)
    untraced = median(for _ <- 1..3, do: workload(calls))

    modes = [
      record: [],
      ring: [mode: :ring, keep: {30, :seconds}],
      ring_sample_0_1: [mode: :ring, keep: {30, :seconds}, sample: 0.1]
    ]

    samples =
      for i <- 1..runs, {name, opts} <- modes, reduce: %{} do
        acc ->
          Map.update(
            acc,
            name,
            [traced(tmp, "#{name}#{i}", calls, opts)],
            &[traced(tmp, "#{name}#{i}", calls, opts) | &1]
          )
      end

    result =
      for {name, _} <- modes, into: %{} do
        us = median(samples[name])
        {name, %{traced_ms: Float.round(us / 1000, 1), slowdown: Float.round(us / untraced, 2)}}
      end

    IO.puts(
      Otpscope.JSON.encode(
        Map.merge(result, %{
          calls: calls,
          pairs: @pairs,
          runs: runs,
          untraced_ms: Float.round(untraced / 1000, 1),
          otp: List.to_string(:erlang.system_info(:otp_release)),
          schedulers: System.schedulers_online()
        })
      )
    )
  end

  defp traced(tmp, name, calls, opts) do
    file = Path.join(tmp, name <> ".zip")

    {:ok, _} =
      Otpscope.start(
        [file: file, processes: :all, max_rate: :infinity, max_events: :infinity, states: true] ++
          opts
      )

    us = workload(calls)
    {:ok, ^file} = Otpscope.stop()
    File.rm(file)
    us
  end

  defp median(list), do: list |> Enum.sort() |> Enum.at(div(length(list), 2))

  # µs until all pairs made their share of `calls`.
  def workload(calls) do
    per = div(calls, @pairs)
    parent = self()

    {us, :ok} =
      :timer.tc(fn ->
        pids =
          for _ <- 1..@pairs do
            spawn(fn ->
              {:ok, server} = GenServer.start(RingBench.Pong, 0)
              for _ <- 1..per, do: :pong = GenServer.call(server, :ping)
              GenServer.stop(server)
              send(parent, {:pair_done, self()})
            end)
          end

        for p <- pids, do: receive(do: ({:pair_done, ^p} -> :ok))
        :ok
      end)

    us
  end
end

{opts, _} = OptionParser.parse!(System.argv(), strict: [calls: :integer, runs: :integer])
RingBench.run(Keyword.get(opts, :calls, 100_000), Keyword.get(opts, :runs, 3))

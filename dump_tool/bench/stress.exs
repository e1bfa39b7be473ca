# Adversarial workloads against the recorder's promise that it never hurts the
# node it records. One workload per run, on a node of its own, once without
# the recorder and once with it (processes: :all, the defaults otherwise);
# prints one line per run, `RESULT` and a map:
#
#     cd dump_tool && elixir --sname stress_w -pa _build/dev/lib/otpscope/ebin \
#       bench/stress.exs WORKLOAD base|rec DIR
#
# Measured: the workload's wall time, the peak of :erlang.memory(:total)
# (sampled every 5 ms by a process at max priority), the peak summed memory of
# the recorder's processes and the longest message queue among them, and,
# from Otpscope.stop/0, the archive's path or the error.
#
# WORKLOAD: spawn, async_stream, bin, list, bigbin (both), deep, wide_state,
# huge_state, bigstate (both), flood, terms, atoms_full.

defmodule Stress.Big do
  use GenServer
  def init(state), do: {:ok, state}
  def handle_call({:put, k, v}, _from, s) when is_map(s), do: {:reply, :ok, Map.put(s, k, v)}
  def handle_call(:touch, _from, s), do: {:reply, :ok, s}
  def handle_cast(:touch, s), do: {:noreply, s}
end

defmodule Stress do
  def main([workload, mode, dir]) do
    :logger.set_primary_config(:level, :error)
    Code.ensure_loaded!(Stress.Big)
    File.mkdir_p!(dir)
    file = Path.join(dir, "#{workload}.zip")
    sampler = spawn_sampler()

    rec =
      if mode == "rec" do
        {:ok, _} = Otpscope.start(file: file, max_events: 20_000_000) |> tap_start()
        :ok
      end

    {us, extra} = :timer.tc(fn -> run(workload, dir) end)
    peak = peak(sampler)

    stopped =
      if rec do
        case Otpscope.stop() do
          {:ok, path} -> %{ok: path}
          {:error, e} -> %{error: inspect(e)}
        end
      end

    IO.puts(
      "RESULT " <>
        inspect(
          Map.merge(peak, %{
            workload: workload,
            mode: mode,
            otp: System.otp_release(),
            ms: div(us, 1000),
            stop: stopped,
            extra: extra
          }),
          limit: :infinity
        )
    )
  end

  defp tap_start({:ok, _} = ok), do: ok

  defp tap_start(other) do
    IO.puts("RESULT start failed: #{inspect(other)}")
    System.halt(2)
  end

  # -- sampling ------------------------------------------------------------

  defp spawn_sampler do
    spawn(fn ->
      Process.flag(:priority, :max)
      sample(%{total: 0, rec_memory: 0, rec_queue: 0, rec_procs: 0})
    end)
  end

  defp sample(p) do
    receive do
      {:peak, to} -> send(to, {:peak, p})
    after
      5 ->
        rec = recorder_pids()
        infos = for pid <- rec, i = Process.info(pid, [:memory, :message_queue_len]), do: i
        mem = Enum.sum(for [memory: m, message_queue_len: _] <- infos, do: m)
        q = Enum.max([0 | for([memory: _, message_queue_len: q] <- infos, do: q)])

        by =
          Enum.reduce(Enum.zip(rec, infos), p[:by] || %{}, fn {pid,
                                                               [memory: m, message_queue_len: q]},
                                                              acc ->
            {m0, q0} = Map.get(acc, pid, {0, 0})
            Map.put(acc, pid, {max(m0, m), max(q0, q)})
          end)

        sample(%{
          by: by,
          total: max(p.total, :erlang.memory(:total)),
          rec_memory: max(p.rec_memory, mem),
          rec_queue: max(p.rec_queue, q),
          rec_procs: max(p.rec_procs, length(rec))
        })
    end
  end

  # The recorder's processes: the registered server, and everything it
  # reports in info/0 (tracer, writer, encoders), without calling it (a call
  # would wait behind its work).
  defp recorder_pids do
    case Process.whereis(Otpscope.Recorder) do
      nil ->
        []

      r ->
        walk([r], MapSet.new([r]))
    end
  end

  defp walk([], seen), do: MapSet.to_list(seen)

  defp walk([p | rest], seen) do
    {:links, links} = Process.info(p, :links) || {:links, []}
    new = for l <- links, is_pid(l), not MapSet.member?(seen, l), otpscope?(l), do: l
    walk(new ++ rest, Enum.reduce(new, seen, &MapSet.put(&2, &1)))
  end

  defp otpscope?(pid) do
    case Process.info(pid, [:initial_call, :dictionary]) do
      [initial_call: {m, _, _}, dictionary: d] ->
        m = Keyword.get(d, :"$initial_call", {m, nil, nil}) |> elem(0)
        String.starts_with?(Atom.to_string(m), "Elixir.Otpscope")

      _ ->
        false
    end
  end

  defp role(pid) do
    case Process.info(pid, :dictionary) do
      {:dictionary, d} -> Keyword.get(d, :"$initial_call", pid)
      nil -> pid
    end
  end

  defp peak(sampler) do
    send(sampler, {:peak, self()})

    receive do
      {:peak, p} ->
        by =
          for {pid, {m, q}} <- Map.get(p, :by, %{}), m > 4_000_000 or q > 1_000 do
            {role(pid), m, q}
          end

        Map.put(p, :by, by)
    end
  end

  # -- workloads -------------------------------------------------------------

  defp run("spawn", _) do
    # 200k processes, each living for one message round trip
    me = self()
    for i <- 1..200_000, do: spawn(fn -> send(me, {:done, i}) end)
    for _ <- 1..200_000, do: receive(do: ({:done, _} -> :ok))
    :ok
  end

  defp run("async_stream", _) do
    1..100_000
    |> Task.async_stream(fn i -> i * 2 end, max_concurrency: 2_000, ordered: false)
    |> Stream.run()
  end

  defp run("bin", _) do
    bin = :crypto.strong_rand_bytes(50_000_000)
    echo(fn r -> for _ <- 1..20, do: send(r, {:bin, bin}) end, 20)
  end

  defp run("list", _) do
    list = Enum.to_list(1..1_000_000)
    echo(fn r -> for _ <- 1..20, do: send(r, {:list, list}) end, 20)
  end

  defp run("bigbin", _) do
    # a 50 MB binary and a 1M-element list, sent 20 times each
    bin = :crypto.strong_rand_bytes(50_000_000)
    list = Enum.to_list(1..1_000_000)
    echo(fn r -> for _ <- 1..20, do: send(r, {:bin, bin}) end, 20)
    echo(fn r -> for _ <- 1..20, do: send(r, {:list, list}) end, 20)
    :ok
  end

  defp run("deep", _) do
    # a map nested 100k deep, and a 100k-key map, sent 20 times each
    deep = Enum.reduce(1..100_000, %{}, fn i, acc -> %{i => acc} end)
    wide = Map.new(1..100_000, &{&1, &1})
    echo(fn r -> for _ <- 1..20, do: send(r, {:deep, deep}) end, 20)
    echo(fn r -> for _ <- 1..20, do: send(r, {:wide, wide}) end, 20)
    :ok
  end

  defp run("wide_state", _) do
    {:ok, w} = GenServer.start(Stress.Big, Map.new(1..100_000, &{&1, &1}))
    for i <- 1..2_000, do: GenServer.call(w, {:put, i, i}, :infinity)
    :ok
  end

  defp run("huge_state", _) do
    {:ok, h} = GenServer.start(Stress.Big, for(i <- 1..6_000_000, do: {i, i}))
    for _ <- 1..200, do: GenServer.call(h, :touch, :infinity)
    :ok
  end

  defp run("bigstate", _) do
    # a GenServer whose state is a 100k-key map, updated 2 000 times, and one
    # whose state is 200 MB (on the heap: a list of small tuples), called 200 times
    {:ok, w} = GenServer.start(Stress.Big, Map.new(1..100_000, &{&1, &1}))
    for i <- 1..2_000, do: GenServer.call(w, {:put, i, i}, :infinity)
    {:ok, h} = GenServer.start(Stress.Big, for(i <- 1..6_000_000, do: {i, i}))
    for _ <- 1..200, do: GenServer.call(h, :touch, :infinity)
    %{state_words: :erts_debug.flat_size(:sys.get_state(h, :infinity))}
  end

  defp run("flood", _) do
    # 2M messages queued on one process that reads them only at the end
    me = self()

    r =
      spawn(fn ->
        receive do: (:go -> :ok)
        drain(0)
        send(me, :drained)
      end)

    senders =
      for _ <- 1..4 do
        spawn(fn ->
          for i <- 1..500_000, do: send(r, {:m, i})
          send(me, :sent)
        end)
      end

    for _ <- senders, do: receive(do: (:sent -> :ok))
    {:message_queue_len, q} = Process.info(r, :message_queue_len)
    send(r, :go)
    receive do: (:drained -> :ok)
    %{queued: q}
  end

  defp run("terms", _) do
    # pids, ports and refs of 2 000 other nodes in messages, then 200 000 new atoms
    foreign =
      for n <- 1..2_000 do
        node = "stress_remote_#{n}@host#{n}"
        pid = <<131, 88, 119, byte_size(node), node::binary, n::32, 0::32, 1::32>>
        ref = <<131, 90, 0, 3, 119, byte_size(node), node::binary, 1::32, n::32, 2::32, 3::32>>
        {:erlang.binary_to_term(pid), :erlang.binary_to_term(ref)}
      end

    echo(fn r -> for f <- foreign, do: send(r, {:foreign, f}) end, length(foreign))
    echo(fn r -> send(r, {:all, foreign}) end, 1)

    echo(
      fn r ->
        for i <- 1..200_000, do: send(r, {:atom, String.to_atom("stress_atom_#{i}")})
      end,
      200_000
    )

    %{atoms: :erlang.system_info(:atom_count), atom_limit: :erlang.system_info(:atom_limit)}
  end

  defp run("atoms_full", _) do
    # atoms until 2 000 short of the limit, then sends carrying them
    limit = :erlang.system_info(:atom_limit)
    n = limit - :erlang.system_info(:atom_count) - 2_000
    atoms = for i <- 1..n, do: String.to_atom("stress_a#{i}")
    echo(fn r -> for a <- Enum.take(atoms, -50_000), do: send(r, {:atom, a}) end, 50_000)
    Process.sleep(1_500)
    %{atoms: :erlang.system_info(:atom_count), atom_limit: limit}
  end

  defp echo(sender, n) do
    me = self()

    r =
      spawn(fn ->
        for _ <- 1..n, do: receive(do: (_ -> :ok))
        send(me, :got)
      end)

    sender.(r)
    receive do: (:got -> :ok)
  end

  defp drain(n) do
    receive do
      {:m, _} -> drain(n + 1)
    after
      0 -> n
    end
  end
end

Stress.main(System.argv())

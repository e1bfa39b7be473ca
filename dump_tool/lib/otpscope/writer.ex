defmodule Otpscope.Writer do
  @moduledoc false
  # Owns the archive file. Receives buffers of raw trace messages from the
  # tracer, encodes each into one chunk (Otpscope.Chunk), deflates it and
  # appends it as a complete ZIP entry, then acknowledges so the tracer may
  # send the next buffer. Because every chunk is a finished entry on disk as
  # soon as it is encoded, a node killed mid-recording leaves an archive that
  # is readable up to its last chunk (docs/FORMAT.md "Container").

  alias Otpscope.{Chunk, Facts, JSON, Zip}

  @max_seen 100_000

  def start(opts) do
    parent = self()
    ref = make_ref()

    pid =
      :proc_lib.spawn_opt(__MODULE__, :init, [opts, parent, ref], [
        {:fullsweep_after, 10},
        {:message_queue_data, :off_heap}
      ])

    mref = Process.monitor(pid)

    receive do
      {^ref, :ok} ->
        Process.demonitor(mref, [:flush])
        {:ok, pid}

      {^ref, {:error, reason}} ->
        Process.demonitor(mref, [:flush])
        {:error, reason}

      {:DOWN, ^mref, _, _, reason} ->
        {:error, reason}
    end
  end

  def init(opts, parent, ref) do
    case Zip.open(opts.file, opts.level) do
      {:ok, zip} ->
        {:ok, zip, _} = Zip.add(zip, "manifest.json", JSON.encode(opts.manifest))

        {:ok, zip, _} =
          Zip.add(zip, "facts/processes-start.etf", :erlang.term_to_binary(opts.processes_start))

        {:ok, zip, _} =
          Zip.add(zip, "facts/tree-start.etf", :erlang.term_to_binary(opts.tree_start))

        zip = add_sources(zip, opts.sources)
        send(parent, {ref, :ok})

        s = %{
          zip: zip,
          file: opts.file,
          chunk: %Chunk{
            limits: opts.limits,
            native_per_sec: :erlang.convert_time_unit(1, :second, :native)
          },
          seq: 0,
          written: 0,
          cuts: 0,
          drops: [],
          dropped: 0,
          bytes: 0,
          seen: %{},
          late_sources: [],
          sourced: MapSet.new(Enum.map(opts.sources, &elem(&1, 0)))
        }

        loop(s)

      {:error, reason} ->
        send(parent, {ref, {:error, reason}})
    end
  end

  defp loop(s) do
    receive do
      {:otpscope_chunk, tracer, buf, drops} ->
        s = write_chunk(buf, drops, s)
        send(tracer, {:otpscope_written, s.seq})
        loop(s)

      {:otpscope_sources, sources} ->
        fresh = Enum.reject(sources, fn {mod, _, _} -> MapSet.member?(s.sourced, mod) end)
        sourced = Enum.reduce(fresh, s.sourced, &MapSet.put(&2, elem(&1, 0)))
        loop(%{s | late_sources: s.late_sources ++ fresh, sourced: sourced})

      {:otpscope_stats, from} ->
        send(from, {:otpscope_writer_stats, Map.take(s, [:seq, :written, :dropped, :bytes])})
        loop(s)

      {:otpscope_finish, from, stop_info} ->
        result = finish(s, stop_info)
        send(from, {:otpscope_done, self(), result})
    end
  end

  defp write_chunk([], [], s), do: s

  defp write_chunk(buf, drops, s) do
    drops = for {from, to, c, r} <- drops, do: {ns(from), ns(to), c, r}
    {bin, n, cuts, {facts, pids}, chunk} = Chunk.encode(buf, drops, s.chunk)
    name = "events/" <> String.pad_leading(Integer.to_string(s.seq), 6, "0") <> ".etf"
    {:ok, zip, size} = Zip.add(s.zip, name, bin)

    %{
      s
      | zip: zip,
        chunk: chunk,
        seq: s.seq + 1,
        written: s.written + n,
        cuts: s.cuts + cuts,
        drops: s.drops ++ drops,
        dropped: s.dropped + Enum.reduce(drops, 0, fn {_, _, c, _}, acc -> acc + c end),
        bytes: s.bytes + size,
        seen: remember(s.seen, facts, pids)
    }
  end

  defp remember(seen, facts, pids) do
    seen =
      Enum.reduce(facts, seen, fn
        {:spawn, child, parent, mfa}, acc ->
          update(acc, child, %{initial_call: mfa, parent: parent})

        {:exit, pid, reason}, acc ->
          update(acc, pid, %{status: :exited, exit_reason: reason})

        {:register, pid, name}, acc ->
          update(acc, pid, %{registered_name: name})
      end)

    Enum.reduce(pids, seen, fn
      pid, acc when is_pid(pid) -> update(acc, pid, %{})
      _, acc -> acc
    end)
  end

  defp update(seen, pid, facts) when is_pid(pid) do
    case seen do
      %{^pid => old} -> %{seen | pid => Map.merge(old, facts)}
      _ when map_size(seen) >= @max_seen -> seen
      _ -> Map.put(seen, pid, facts)
    end
  end

  defp update(seen, _pid, _facts), do: seen

  defp finish(s, stop_info) do
    zip = add_sources(s.zip, s.late_sources)
    alive = Facts.processes(Process.list())
    alive_pids = MapSet.new(alive, & &1.pid)

    gone =
      for {pid, facts} <- s.seen, not MapSet.member?(alive_pids, pid) do
        Map.merge(
          %{
            pid: pid,
            registered_name: nil,
            initial_call: nil,
            dictionary_initial_call: nil,
            ancestors: [],
            behaviour: nil,
            module: nil,
            label: nil,
            parent: nil,
            status: :exited
          },
          Map.put(facts, :status, :exited)
        )
      end

    {:ok, zip, _} =
      Zip.add(zip, "facts/processes-stop.etf", :erlang.term_to_binary(alive ++ gone))

    {:ok, zip, _} = Zip.add(zip, "facts/tree-stop.etf", :erlang.term_to_binary(stop_info.tree))

    totals = %{
      events_written: s.written,
      events_dropped: s.dropped,
      drops:
        Enum.map(s.drops, fn {from, to, count, reason} ->
          {:object,
           [
             {"from_ns", Integer.to_string(from)},
             {"to_ns", Integer.to_string(to)},
             {"count", count},
             {"reason", reason}
           ]}
        end),
      terms_truncated: s.cuts,
      chunks: s.seq,
      stop_reason: stop_info.reason,
      stopped_at_ns: Integer.to_string(:os.system_time(:nanosecond)),
      clock: %{time_offset_ns: Integer.to_string(:erlang.time_offset(:nanosecond))},
      tracer: %{
        events_accepted: stop_info.tracer.accepted,
        peak_mailbox: stop_info.tracer.peak_queue
      }
    }

    {:ok, zip, _} = Zip.add(zip, "totals.json", JSON.encode(totals))
    :ok = Zip.close(zip)
    {:ok, s.file, totals}
  rescue
    e -> {:error, Exception.message(e)}
  end

  defp ns(native), do: :erlang.convert_time_unit(native, :native, :nanosecond)

  defp add_sources(zip, sources) do
    Enum.reduce(sources, zip, fn {mod, ext, text}, zip ->
      {:ok, zip, _} = Zip.add(zip, ["sources/", Atom.to_string(mod), ext], text)
      zip
    end)
  end
end

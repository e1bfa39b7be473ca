defmodule Otpscope.Writer do
  @moduledoc false
  # Owns the archive file. The tracer hands its buffers of raw trace messages
  # to the encoder pool (Otpscope.Encoder), numbered in order; encoders send
  # back deflated chunks, possibly out of order, and the writer appends them
  # in chunk order, each as a complete ZIP entry, then acknowledges to the
  # tracer so it may hand over another buffer. Because every chunk is a
  # finished entry on disk as soon as it is written, a node killed
  # mid-recording leaves an archive that is readable up to its last chunk
  # (docs/FORMAT.md "Container").
  #
  # In ring mode (`mode: :ring`) no file is open while recording: written
  # chunks go into an in-memory ring (Otpscope.Ring) and a dump
  # (Otpscope.Dump, in a process of its own so recording goes on) writes
  # the window into a new archive.

  alias Otpscope.{Chunk, Dump, Encoder, Facts, JSON, Ring, Zip}

  @max_seen 100_000
  @max_names 8

  @doc "Starts the writer and its encoders: `{:ok, writer, encoders}`."
  def start(opts) do
    parent = self()
    ref = make_ref()

    pid =
      :proc_lib.spawn_opt(__MODULE__, :init, [opts, parent, ref], [
        {:fullsweep_after, 10},
        {:message_queue_data, :off_heap},
        # the writer is encoder 0
        {:min_heap_size, Encoder.min_heap_size()}
      ])

    mref = Process.monitor(pid)

    receive do
      {^ref, {:ok, encoders}} ->
        Process.demonitor(mref, [:flush])
        {:ok, pid, encoders}

      {^ref, {:error, reason}} ->
        Process.demonitor(mref, [:flush])
        {:error, reason}

      {:DOWN, ^mref, _, _, reason} ->
        {:error, reason}
    end
  end

  def init(%{ring: {_keep, _max_bytes}} = opts, parent, ref), do: start(nil, opts, parent, ref)

  def init(opts, parent, ref) do
    with {:ok, zip} <- Zip.open(opts.file, opts.level),
         {:ok, zip} <- add_start_entries(zip, opts) do
      start(zip, opts, parent, ref)
    else
      {:error, {:zip, zip, reason}} ->
        Zip.abort(zip)
        send(parent, {ref, {:error, {:write_failed, opts.file, reason}}})

      {:error, reason} ->
        send(parent, {ref, {:error, {:write_failed, opts.file, reason}}})
    end
  end

  defp add_start_entries(zip, opts) do
    with {:ok, zip, _} <- Zip.add(zip, "manifest.json", JSON.encode(opts.manifest)),
         {:ok, zip, _} <-
           Zip.add(zip, "facts/processes-start.etf", :erlang.term_to_binary(opts.processes_start)),
         {:ok, zip, _} <-
           Zip.add(zip, "facts/tree-start.etf", :erlang.term_to_binary(opts.tree_start)),
         {:ok, zip, _} <- Zip.add(zip, "facts/structs.etf", :erlang.term_to_binary(opts.structs)),
         {:ok, zip} <- add_sources(zip, opts.sources, "start") do
      {:ok, zip}
    else
      {:error, reason} -> {:error, {:zip, zip, reason}}
    end
  end

  defp start(zip, opts, parent, ref) do
    # shared with the encoders: set once the archive cannot be written
    # (Encoder.dead?/1), so they drop what they were handed unencoded
    dead = Encoder.new_dead()

    encoder_opts = %{
      writer: self(),
      dead: dead,
      level: opts.level,
      limits: opts.limits,
      spawned: Chunk.new_spawn_table(),
      naming: Map.get(opts, :naming, %{})
    }

    extra = for _ <- 2..opts.encoders//1, do: Encoder.start_link(encoder_opts)
    send(parent, {ref, {:ok, [self() | extra]}})

    s = %{
      zip: zip,
      file: opts.file,
      controller: parent,
      encoders: extra,
      encoding: Encoder.setup(encoder_opts),
      pending: %{},
      finish: nil,
      handed: 0,
      seq: 0,
      written: 0,
      cuts: 0,
      drops: [],
      dropped: 0,
      bytes: 0,
      seen: %{},
      late_sources: [],
      failed: nil,
      sourced: MapSet.new(Enum.map(opts.sources, &elem(&1, 0))),
      # ring mode: the ring, the sources (written into every dump), the
      # term limits (exit reasons in the facts kept) and the dumps asked for
      ring: ring(opts),
      sources: if(Map.has_key?(opts, :ring), do: opts.sources, else: []),
      level: opts.level,
      limits: opts.limits,
      dumps: [],
      # the refs of the last dumps written (a late hold for one is dropped)
      dumped: []
    }

    loop(s)
  end

  defp loop(s) do
    receive do
      # the writer is encoder 0
      {:otpscope_chunk, tracer, seq, buf, drops} ->
        chunk = Encoder.encode(buf, drops, s.encoding)
        s = %{s | pending: Map.put(s.pending, seq, {tracer, chunk})}
        s |> write_ready() |> next()

      {:otpscope_encoded, seq, tracer, chunk} ->
        s = %{s | pending: Map.put(s.pending, seq, {tracer, chunk})}
        s |> write_ready() |> next()

      {:otpscope_sources, sources} ->
        fresh = Enum.reject(sources, fn source -> MapSet.member?(s.sourced, elem(source, 0)) end)
        sourced = Enum.reduce(fresh, s.sourced, &MapSet.put(&2, elem(&1, 0)))
        loop(%{s | late_sources: s.late_sources ++ fresh, sourced: sourced})

      {:otpscope_stats, from} ->
        send(from, {:otpscope_writer_stats, Map.take(s, [:seq, :written, :dropped, :bytes])})
        loop(s)

      {:otpscope_finish, from, stop_info, chunks} ->
        maybe_finish(%{s | finish: {from, stop_info, chunks}})

      # tests: a write fails now, as on a full disk (the reply is the
      # encoders' flag and counters, Encoder.new_dead/0)
      {:otpscope_fail_write, reason, from} ->
        send(from, {:otpscope_fail_write, self(), s.encoding.dead})
        failed(s, reason, []) |> next()

      # ring mode: write the window once the chunks handed over before the
      # request are in the ring
      {:otpscope_dump, upto, req} ->
        %{s | dumps: s.dumps ++ [{upto, req}]} |> run_dumps() |> loop()

      # a trigger's dump is coming: keep what its window needs until then
      # (Ring.hold/3); a hold that arrives after its dump was written is
      # dropped
      {:otpscope_hold, ref, time} ->
        if ref in s.dumped,
          do: loop(s),
          else: loop(%{s | ring: Ring.hold(s.ring, ref, time)})
    end
  end

  defp ring(%{ring: {keep, max_bytes}}), do: Ring.new(keep, max_bytes)
  defp ring(_opts), do: nil

  defp run_dumps(%{dumps: [{upto, req} | rest], handed: handed} = s) when upto <= handed do
    ring = Ring.evict(s.ring, req.now)
    Dump.spawn(ring, s.sources ++ s.late_sources, s.level, req)
    ring = ring |> Ring.release(req.ref) |> Ring.evict(req.now)

    # the last few only: a hold comes before its dump (sent first, straight to the writer), so a late one is rare,
    # and a node in ring mode for weeks must not keep a ref per dump
    run_dumps(%{s | ring: ring, dumps: rest, dumped: Enum.take([req.ref | s.dumped], 16)})
  end

  defp run_dumps(s), do: s

  # The tracer numbers its buffers 0, 1, 2, ... (`seq` counts handed-over
  # buffers, empty ones included); chunk entries are numbered by what was
  # written.
  defp write_ready(%{pending: pending, handed: handed} = s) do
    case Map.pop(pending, handed) do
      {nil, _} ->
        s

      {{tracer, chunk}, pending} ->
        case write_chunk(chunk, %{s | pending: pending, handed: handed + 1}) do
          {:ok, s} ->
            send(tracer, {:otpscope_written, handed})
            write_ready(s)

          {:error, reason} ->
            failed(%{s | pending: pending}, reason, [{handed, tracer}])
        end
    end
  end

  defp next({:failed, s}), do: failed_loop(s)
  defp next(s), do: s |> run_dumps() |> maybe_finish()

  # A write failed (a full disk): the file is cut back to its last complete
  # entry and closed, the controller told (it stops the recording and logs
  # why), and from now on chunks are only acknowledged so the tracer drains.
  # Nothing more can reach the archive, so no stage works for it: the
  # encoders drop the buffers queued for them unencoded (Encoder.dead?/1)
  # and the tracer discards its mailbox instead of filling buffers
  # (encoding what a stop drains took 17-30 s on a saturated node).
  defp failed(s, reason, unwritten) do
    Encoder.kill(s.encoding.dead)
    for tracer <- Enum.uniq(for({_, t} <- unwritten, do: t)), do: send(tracer, :otpscope_dead)
    Zip.abort(s.zip)
    send(s.controller, {:otpscope_write_failed, self(), s.file, reason})
    for {seq, tracer} <- unwritten, do: send(tracer, {:otpscope_written, seq})
    for {seq, {tracer, _}} <- s.pending, do: send(tracer, {:otpscope_written, seq})
    {:failed, %{s | pending: %{}, zip: nil, failed: reason}}
  end

  defp failed_loop(s) do
    receive do
      {:otpscope_chunk, tracer, seq, _buf, _drops} ->
        send(tracer, {:otpscope_written, seq})
        failed_loop(s)

      {:otpscope_encoded, seq, tracer, _chunk} ->
        send(tracer, {:otpscope_written, seq})
        failed_loop(s)

      {:otpscope_stats, from} ->
        send(from, {:otpscope_writer_stats, Map.take(s, [:seq, :written, :dropped, :bytes])})
        failed_loop(s)

      {:otpscope_finish, from, _stop_info, _chunks} ->
        stop_encoders(s)
        send(from, {:otpscope_done, self(), {:error, {:write_failed, s.file, s.failed}}})

      _other ->
        failed_loop(s)
    end
  end

  defp stop_encoders(s) do
    for e <- s.encoders do
      send(e, {:otpscope_exit, self()})
      receive do: ({:otpscope_encoder_done, ^e} -> :ok)
    end

    :zlib.close(s.encoding.z)
  end

  defp maybe_finish(%{finish: {from, stop_info, chunks}, handed: chunks} = s) do
    stop_encoders(s)

    result =
      if s.ring,
        do:
          Dump.write(
            Ring.evict(s.ring, stop_info.dump.now),
            s.sources ++ s.late_sources,
            s.level,
            Map.put(stop_info.dump, :tracer, stop_info.tracer)
          ),
        else: finish(s, stop_info)

    send(from, {:otpscope_done, self(), result})
  end

  defp maybe_finish(s), do: loop(s)

  defp write_chunk(:empty, s), do: {:ok, s}

  defp write_chunk(chunk, %{ring: %Ring{} = ring} = s) do
    e = Ring.entry(chunk, s.limits)
    # The window is judged by the newest event's time, not by the writer's
    # clock: a writer that lags (a loaded machine) would otherwise evict
    # chunks still inside the window of a dump asked for before.
    ring = ring |> Ring.push(e, Ring.newest(ring, e)) |> Ring.collect()
    {:ok, %{s | ring: ring, seq: s.seq + 1, written: s.written + chunk.n, bytes: ring.bytes}}
  end

  defp write_chunk(chunk, s) do
    name = "events/" <> String.pad_leading(Integer.to_string(s.seq), 6, "0") <> ".etf"

    case Zip.add_packed(s.zip, name, 8, chunk.crc, chunk.usize, chunk.data) do
      {:ok, zip, size} -> {:ok, written(s, zip, size, chunk)}
      {:error, reason} -> {:error, reason}
    end
  end

  defp written(s, zip, size, chunk) do
    drops = chunk.drops

    %{
      s
      | zip: zip,
        seq: s.seq + 1,
        written: s.written + chunk.n,
        cuts: s.cuts + chunk.cuts,
        drops: s.drops ++ drops,
        dropped: s.dropped + Enum.reduce(drops, 0, fn {_, _, c, _}, acc -> acc + c end),
        bytes: s.bytes + size,
        seen: remember(s.seen, chunk.facts, chunk.pids)
    }
  end

  @doc "Adds a chunk's process facts and table to `seen` (the facts at stop)."
  def remember(seen, facts, pids) do
    seen =
      Enum.reduce(facts, seen, fn
        {:spawn, child, parent, mfa, initial}, acc ->
          update(acc, child, Map.merge(%{initial_call: mfa, parent: parent}, initial(initial)))

        {:task, pid, initial}, acc ->
          if task_async?(seen_facts(acc, pid)), do: update(acc, pid, initial(initial)), else: acc

        {:exit, pid, reason}, acc ->
          acc = update(acc, pid, %{status: :exited, exit_reason: reason})
          # a call it made that never returned
          if is_map_key(acc, :naming), do: naming(acc, &Map.delete(&1, pid)), else: acc

        {:register, pid, name}, acc ->
          update(acc, pid, %{registered_name: name})

        {:name, pid, name}, acc ->
          add_name(acc, pid, name)

        {:naming, caller, holder, name}, acc ->
          naming(acc, fn pending ->
            Map.update(pending, caller, [{holder, name}], &[{holder, name} | &1])
          end)

        {:named, caller, taken?}, acc ->
          named(acc, caller, taken?)
      end)

    Enum.reduce(pids, seen, fn
      pid, acc when is_pid(pid) -> update(acc, pid, %{})
      _, acc -> acc
    end)
  end

  # Names taken after the start (Otpscope.Facts.naming_functions/0): each
  # call waits in `seen`'s :naming entry (pending calls per caller, newest
  # first, and the Registries' kinds) for its return, which keeps the name
  # when it was taken and is one Facts.other_names/1 would list. The chunks
  # come in order, so a call's fact comes before its return's, whichever
  # chunk each landed in.
  defp naming(seen, fun) do
    state = naming_state(seen)
    Map.put(seen, :naming, %{state | pending: fun.(state.pending)})
  end

  defp naming_state(seen), do: Map.get(seen, :naming, %{pending: %{}, kinds: %{}})

  defp named(seen, caller, taken?) do
    state = naming_state(seen)

    case state.pending do
      %{^caller => [{holder, name} | older]} ->
        pending =
          if older == [],
            do: Map.delete(state.pending, caller),
            else: %{state.pending | caller => older}

        {kept?, kinds} =
          if taken? and is_pid(holder),
            do: Facts.name_kept?(name, holder, state.kinds),
            else: {false, state.kinds}

        seen = Map.put(seen, :naming, %{state | pending: pending, kinds: kinds})
        if kept?, do: add_name(seen, holder, name), else: seen

      _ ->
        seen
    end
  end

  # The first @max_names names of a process are kept: a process taking a
  # Registry key per job it runs takes thousands, its name is the first
  # (processes.name), and a longer list made each name cost a walk of it.
  defp add_name(seen, pid, name) do
    case seen do
      %{^pid => %{names: names}} ->
        if length(names) >= @max_names or name in names,
          do: seen,
          else: update(seen, pid, %{names: names ++ [name]})

      _ ->
        update(seen, pid, %{names: [name]})
    end
  end

  # What `$initial_call` tells, as Otpscope.Facts.processes/1 reads it
  # from a live process: the facts at stop of a process that exited before
  # it, its `$initial_call` derived from its spawn (docs/FORMAT.md "Fact
  # entries").
  defp initial(nil), do: %{}

  defp initial(call) do
    {behaviour, module} = Facts.behaviour(call)
    %{dictionary_initial_call: call, behaviour: behaviour, module: module}
  end

  defp seen_facts(seen, pid), do: Map.get(seen, pid, %{})

  # A live process's names at stop, with the via name its spawn started it
  # under (`{:via, :gproc, ...}`, which only the spawn tells) after them.
  defp started_names(%{pid: pid, names: names} = facts, seen) do
    case seen do
      %{^pid => %{names: started}} -> %{facts | names: Enum.uniq(names ++ started)}
      _ -> facts
    end
  end

  # A Task.async process still waiting for its function: its
  # `$initial_call` is Task.Supervised.reply's (proc_lib's, Elixir < 1.15)
  # or it has none (a plain spawn of Task.Supervised.reply/3, 1.15+).
  defp task_async?(%{dictionary_initial_call: {Task.Supervised, :reply, _}}), do: true

  defp task_async?(%{initial_call: {Task.Supervised, :reply, _}} = facts),
    do: Map.get(facts, :dictionary_initial_call) == nil

  defp task_async?(_facts), do: false

  defp update(seen, pid, facts) when is_pid(pid) do
    case seen do
      %{^pid => old} -> %{seen | pid => Map.merge(old, facts)}
      _ when map_size(seen) >= @max_seen -> seen
      _ -> Map.put(seen, pid, facts)
    end
  end

  defp update(seen, _pid, _facts), do: seen

  # The end entries: late sources, facts at stop, totals, and the central
  # directory. A write that fails here (a full disk) leaves the file cut
  # back to its last complete entry, every chunk in it.
  defp finish(s, stop_info) do
    case close(s.zip, s, stop_info, []) do
      {:ok, totals} -> {:ok, s.file, totals}
      {:error, reason} -> {:error, {:write_failed, s.file, reason}}
    end
  end

  @doc """
  Writes the end entries (late sources, facts at stop, totals) and the
  central directory. `s` has `seen`, `late_sources`, `written`, `dropped`,
  `drops`, `cuts` and `seq` (the chunks written); `extra` are more totals.
  `{:ok, totals}` or `{:error, reason}` (the file cut back to its last
  complete entry).
  """
  def close(zip, s, stop_info, extra) do
    alive = Enum.map(Facts.processes(Process.list()), &started_names(&1, s.seen))
    alive_pids = MapSet.new(alive, & &1.pid)

    gone =
      for {pid, facts} <- s.seen, is_pid(pid), not MapSet.member?(alive_pids, pid) do
        Map.merge(
          %{
            pid: pid,
            registered_name: nil,
            initial_call: nil,
            dictionary_initial_call: nil,
            ancestors: [],
            behaviour: nil,
            module: nil,
            names: [],
            label: nil,
            parent: nil,
            status: :exited
          },
          Map.put(facts, :status, :exited)
        )
      end

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

    totals = Enum.into(extra, totals)

    with {:ok, zip} <- add_sources(zip, s.late_sources, "stop"),
         {:ok, zip, _} <-
           Zip.add(zip, "facts/processes-stop.etf", :erlang.term_to_binary(alive ++ gone)),
         {:ok, zip, _} <-
           Zip.add(zip, "facts/tree-stop.etf", :erlang.term_to_binary(stop_info.tree)),
         {:ok, zip, _} <- Zip.add(zip, "totals.json", JSON.encode(totals)),
         :ok <- Zip.close(zip) do
      {:ok, totals}
    else
      {:error, reason} ->
        Zip.abort(zip)
        {:error, reason}
    end
  end

  @doc """
  Appends the source entries `{module, ext, text, path}` and, after them,
  `facts/sources-<which>.etf`: for each, the module, its entry and the
  file it was compiled from (docs/FORMAT.md "Fact entries").
  """
  def add_sources(zip, [], _which), do: {:ok, zip}

  def add_sources(zip, sources, which) do
    index =
      for {mod, ext, _text, path} <- sources,
          do: %{module: mod, entry: "sources/#{mod}#{ext}", path: path}

    Enum.reduce_while(sources, {:ok, zip}, fn {mod, ext, text, _path}, {:ok, zip} ->
      case Zip.add(zip, ["sources/", Atom.to_string(mod), ext], text) do
        {:ok, zip, _} -> {:cont, {:ok, zip}}
        error -> {:halt, error}
      end
    end)
    |> case do
      {:ok, zip} ->
        case Zip.add(zip, "facts/sources-#{which}.etf", :erlang.term_to_binary(index)) do
          {:ok, zip, _} -> {:ok, zip}
          error -> error
        end

      error ->
        error
    end
  end
end

defmodule Otpscope.Recorder do
  @moduledoc false
  # The controller: one per node, registered as Otpscope.Recorder. It sets up
  # the writer and the tracer, switches tracing on, watches the owner, the
  # duration and the max_events limit, and on stop removes every flag and
  # pattern it set before letting the writer finish the archive.
  #
  # After stopping by itself (duration, max_events) it stays alive, holding the
  # archive path, until Otpscope.stop/0 or Otpscope.await/1 collects it or the
  # owner goes away.

  use GenServer

  alias Otpscope.{Callbacks, Facts, Lines, Snapshots, Trace, Tracer, Writer}

  @version Mix.Project.config()[:version]

  def version, do: @version

  @impl true
  def init({opts, owner, {caller, ref}}) do
    Process.flag(:trap_exit, true)
    owner_ref = Process.monitor(owner)

    case setup(opts) do
      {:ok, st} ->
        timer =
          if opts.duration != :infinity,
            do: Process.send_after(self(), :otpscope_duration, opts.duration)

        {:ok, Map.merge(st, %{owner_ref: owner_ref, timer: timer, result: nil, waiting: []})}

      {:error, reason} ->
        send(caller, {ref, reason})
        {:stop, :normal}
    end
  end

  defp setup(opts) do
    backend = Trace.backend()

    with {:ok, spec} <- resolve(opts.processes),
         :ok <- Trace.check_free(backend, spec, [self()]),
         {:ok, user_patterns} <- user_patterns(backend, opts),
         {:ok, lines} <- lines(backend, opts) do
      case setup(opts, backend, spec, user_patterns, lines) do
        {:ok, st} ->
          {:ok, Map.put(st, :lines, lines)}

        error ->
          Lines.restore(elem(lines, 0))
          error
      end
    end
  end

  # Instruments the `lines:` modules; `{restore, patterns}`.
  defp lines(_backend, %{lines: []}), do: {:ok, {[], []}}

  defp lines(backend, %{lines: targets}) do
    snap = {Lines, :snap, 3}
    {:module, Lines} = Code.ensure_loaded(Lines)

    if Trace.pattern_free?(backend, snap) do
      case Lines.instrument(targets) do
        {:ok, restore} -> {:ok, {restore, [{snap, [{:_, [], []}], [:global]}]}}
        {:error, message} -> {:error, {:lines, message}}
      end
    else
      {:error, {:already_traced, "#{inspect(snap)} already has a trace pattern"}}
    end
  end

  defp setup(opts, backend, spec, user_patterns, {_restore, line_patterns}) do
    chosen = chosen_pids(spec)
    {callback_mods, skipped} = callback_modules(backend, opts, chosen, spec)

    callback_patterns =
      for mod <- callback_mods, mfa <- Callbacks.functions(mod), do: {mfa, ms(), [:global]}

    {callback_patterns, skipped2} =
      Enum.split_with(callback_patterns, fn {mfa, _, _} -> Trace.pattern_free?(backend, mfa) end)

    telemetry =
      if opts.telemetry and :code.is_loaded(:telemetry) != false and
           Trace.pattern_free?(backend, {:telemetry, :execute, 3}),
         do: [{{:telemetry, :execute, 3}, [{:_, [], []}], [:global]}],
         else: []

    patterns = user_patterns ++ callback_patterns ++ telemetry ++ line_patterns
    traced_mods = Enum.uniq(for {{m, _, _}, _, _} <- user_patterns ++ callback_patterns, do: m)
    # the sources of the modules with line snapshots too
    sources = Callbacks.sources(traced_mods ++ Enum.map(opts.lines, &elem(&1, 0)))

    manifest_facts = if spec in [:all, :new], do: Process.list(), else: chosen
    processes_start = Facts.processes(manifest_facts -- [self()])
    tree_start = Facts.trees()
    started_ns = :os.system_time(:nanosecond)
    mono_ns = :erlang.monotonic_time(:nanosecond)

    warnings =
      for(
        {mfa, _, _} <- skipped2,
        do: "#{inspect(mfa)} already has a trace pattern set by another tool; not traced"
      ) ++
        skipped

    limits = {opts.max_binary, opts.max_list, opts.max_map, opts.max_tuple, opts.max_depth}

    # States at start, before tracing is on (the tracer's first buffer).
    {snapshots, unread} =
      if opts.states and opts.start_states and spec != :new,
        do:
          Snapshots.take(
            for({pid, _} = t <- Snapshots.targets(processes_start), pid != opts.owner, do: t),
            limits,
            opts.chunk_events,
            Tracer.buffer_words(opts.max_buffer_memory)
          ),
        else: {[], 0}

    warnings =
      if unread > 0,
        do:
          warnings ++
            [
              "the state of #{unread} GenServer/gen_statem process(es) could not be read at start " <>
                "(busy, suspended, a heap over max_buffer_memory / 8, or over the time budget)"
            ],
        else: warnings

    manifest = manifest(opts, backend, started_ns, mono_ns, warnings)

    writer_opts = %{
      file: opts.file,
      level: opts.level,
      manifest: manifest,
      processes_start: processes_start,
      tree_start: tree_start,
      sources: sources,
      limits: limits,
      encoders: opts.encoders
    }

    with {:ok, writer, encoders} <- Writer.start(writer_opts) do
      Process.link(writer)

      tracer =
        Tracer.start(
          Map.merge(
            Map.take(opts, [
              :chunk_events,
              :max_in_flight,
              :max_buffer_memory,
              :max_mailbox_memory,
              :max_rate,
              :max_events,
              :flush_interval,
              :high_water,
              :low_water,
              :suspend_water
            ]),
            %{
              writer: writer,
              encoders: encoders,
              controller: self(),
              limits: limits,
              initial: snapshots,
              known_modules: MapSet.new(callback_mods),
              watch_spawns: opts.states and spec in [:all, :new]
            }
          )
        )

      Process.link(tracer)
      flags = flags(opts)
      trace = Trace.new(backend, tracer, spec, flags, [self(), tracer, writer | encoders])
      # The tracer needs this to suspend tracing under overload; sent before
      # any trace message can reach it.
      send(tracer, {:otpscope_trace, trace})
      trace = Trace.enable(trace)

      trace =
        Enum.reduce(patterns, trace, fn {mfa, ms, pflags}, trace ->
          {_n, trace} = Trace.pattern(trace, mfa, ms, pflags)
          trace
        end)

      {:ok,
       %{
         opts: opts,
         backend: backend,
         trace: trace,
         tracer: tracer,
         writer: writer,
         encoders: encoders,
         known: MapSet.new(callback_mods ++ traced_mods),
         warnings: warnings,
         stopped: false
       }}
    end
  end

  defp ms, do: [{:_, [], [{:exception_trace}]}]

  defp flags(opts) do
    [:strict_monotonic_timestamp] ++
      if(opts.lifecycle, do: [:procs], else: []) ++
      if(opts.messages, do: [:send, :receive], else: []) ++
      if(opts.states or opts.modules != [] or opts.telemetry or opts.lines != [],
        do: [:call],
        else: []
      )
  end

  defp resolve(spec) when spec in [:all, :new], do: {:ok, spec}

  defp resolve(list) do
    Enum.reduce_while(list, {:ok, []}, fn
      pid, {:ok, acc} when is_pid(pid) ->
        if Process.alive?(pid),
          do: {:cont, {:ok, [pid | acc]}},
          else: {:halt, {:error, {:not_alive, pid}}}

      name, {:ok, acc} ->
        # a local name, {:global, name} or {:via, module, name}
        case GenServer.whereis(name) do
          pid when is_pid(pid) -> {:cont, {:ok, [pid | acc]}}
          _ -> {:halt, {:error, {:not_registered, name}}}
        end
    end)
    |> case do
      {:ok, pids} -> {:ok, pids |> Enum.reverse() |> Enum.uniq()}
      error -> error
    end
  end

  defp chosen_pids(spec) when spec in [:all, :new], do: Process.list() -- [self()]
  defp chosen_pids(list), do: list

  defp user_patterns(backend, opts) do
    Enum.reduce_while(opts.modules, {:ok, []}, fn {{m, _, _} = mfa, ms}, {:ok, acc} ->
      cond do
        not Code.ensure_loaded?(m) ->
          {:halt, {:error, {:module_not_loaded, m}}}

        not Trace.pattern_free?(backend, mfa) ->
          {:halt,
           {:error,
            {:already_traced, "#{inspect(mfa)} already has a trace pattern set by another tool"}}}

        true ->
          {:cont, {:ok, acc ++ [{mfa, ms || ms(), [:local]}]}}
      end
    end)
  end

  defp callback_modules(_backend, %{states: false}, _chosen, _spec), do: {[], []}

  defp callback_modules(_backend, _opts, chosen, spec) do
    mods = Callbacks.of_processes(chosen)
    mods = if spec in [:all, :new], do: mods ++ Callbacks.loaded(), else: mods
    {Enum.uniq(mods), []}
  end

  defp manifest(opts, backend, started_ns, mono_ns, warnings) do
    {:object,
     [
       {"format", "otpscope"},
       {"format_version", 2},
       {"recorder_version", @version},
       {"node", Atom.to_string(node())},
       {"otp_release", List.to_string(:erlang.system_info(:otp_release))},
       {"erts_version", List.to_string(:erlang.system_info(:version))},
       {"elixir_version", System.version()},
       {"os_pid", System.pid()},
       {"clock",
        {:object,
         [
           {"monotonic_start_ns", Integer.to_string(mono_ns)},
           {"time_offset_ns", Integer.to_string(:erlang.time_offset(:nanosecond))}
         ]}},
       {"started_at_ns", Integer.to_string(started_ns)},
       {"options",
        {:object,
         Enum.map(Enum.sort(Map.delete(opts, :owner)), fn {k, v} ->
           {Atom.to_string(k), json_option(v)}
         end)}},
       {"trace_backend", Atom.to_string(backend)},
       {"warnings", warnings}
     ]}
  end

  defp json_option(v) when is_integer(v) or is_boolean(v) or is_binary(v), do: v
  defp json_option(v), do: inspect(v)

  @impl true
  def handle_call(:stop, _from, %{stopped: false} = st) do
    st = do_stop(st, "stop")
    {:stop, :normal, st.result, st}
  end

  def handle_call(:stop, _from, st), do: {:stop, :normal, st.result, st}

  def handle_call(:await, from, %{stopped: false} = st),
    do: {:noreply, %{st | waiting: [from | st.waiting]}}

  def handle_call(:await, _from, st), do: {:stop, :normal, st.result, st}

  def handle_call(:info, _from, st) do
    send(st.tracer, {:otpscope_stats, self()})

    stats =
      receive do
        {:otpscope_stats, s} -> s
      after
        1_000 -> %{}
      end

    {:reply,
     Map.merge(stats, %{
       tracer: st.tracer,
       writer: st.writer,
       encoders: st.encoders,
       stopped: st.stopped,
       file: st.opts.file
     }), st}
  end

  @impl true
  def handle_info({:otpscope_limit, :max_events}, st), do: auto_stop(st, "max_events")
  def handle_info(:otpscope_duration, st), do: auto_stop(st, "duration")

  def handle_info({:otpscope_new_module, mod}, %{stopped: false} = st) do
    if MapSet.member?(st.known, mod) or Callbacks.own?(mod) do
      {:noreply, st}
    else
      trace =
        Enum.reduce(Callbacks.functions(mod), st.trace, fn mfa, trace ->
          if Trace.pattern_free?(st.backend, mfa) do
            {_n, trace} = Trace.pattern(trace, mfa, ms(), [:global])
            trace
          else
            trace
          end
        end)

      send(st.writer, {:otpscope_sources, Callbacks.sources([mod])})
      {:noreply, %{st | trace: trace, known: MapSet.put(st.known, mod)}}
    end
  end

  def handle_info({:DOWN, ref, :process, _, _}, %{owner_ref: ref} = st) do
    st = if st.stopped, do: st, else: do_stop(st, "owner_down")
    {:stop, :normal, st}
  end

  # A full disk: the writer cut the archive back to its last complete chunk
  # and closed it; stop like at the end of the duration, and keep the path
  # and the reason for stop/0.
  def handle_info({:otpscope_write_failed, writer, file, reason}, %{writer: writer} = st) do
    :logger.error(
      "otpscope: writing #{file} failed (#{:file.format_error(reason)}); recording stopped, " <>
        "the archive is readable up to its last complete chunk"
    )

    auto_stop(st, "write_failed")
  end

  # Not expected: a bug. Tracing goes off, the archive keeps what was
  # written, and stop/0 still returns the path and the reason.
  def handle_info({:EXIT, pid, reason}, %{stopped: false} = st)
      when reason != :normal and pid in [st.tracer, st.writer] do
    Trace.disable(st.trace)
    restore_lines(st)
    Enum.each([st.tracer, st.writer | st.encoders], &Process.exit(&1, :kill))
    file = st.opts.file

    :logger.error(
      "otpscope: the recorder's #{if pid == st.tracer, do: "tracer", else: "writer"} " <>
        "crashed (#{inspect(reason)}); recording stopped, #{file} is readable up to its " <>
        "last complete chunk"
    )

    auto_stop_with(%{st | stopped: true, result: {:error, {:recorder_crashed, file, reason}}})
  end

  def handle_info(_msg, st), do: {:noreply, st}

  @impl true
  def terminate(_reason, %{stopped: false} = st) do
    Trace.disable(st.trace)
    restore_lines(st)
  end

  def terminate(_reason, _st), do: :ok

  defp auto_stop(%{stopped: true} = st, _reason), do: {:noreply, st}

  defp auto_stop(st, reason), do: auto_stop_with(do_stop(st, reason))

  # Stopped: hand the result to whoever awaits it, or keep it for stop/0.
  defp auto_stop_with(st) do
    case st.waiting do
      [] ->
        {:noreply, st}

      waiting ->
        Enum.each(waiting, &GenServer.reply(&1, st.result))
        {:stop, :normal, st}
    end
  end

  defp do_stop(st, reason) do
    if st.timer, do: Process.cancel_timer(st.timer)
    Trace.disable(st.trace)
    restore_lines(st)
    # Make sure every trace message generated so far sits in the tracer's
    # mailbox before we ask it to drain.
    ref = :erlang.trace_delivered(:all)

    receive do
      {:trace_delivered, :all, ^ref} -> :ok
    after
      5_000 -> :ok
    end

    tree = Facts.trees()
    send(st.tracer, {:otpscope_stop, self(), %{reason: reason, tree: tree}})
    writer = st.writer

    result =
      receive do
        {:otpscope_done, ^writer, {:ok, file, _totals}} -> {:ok, file}
        {:otpscope_done, ^writer, {:error, e}} -> {:error, e}
        {:EXIT, ^writer, why} -> {:error, {:writer_crashed, why}}
      after
        120_000 -> {:error, :writer_timeout}
      end

    %{st | stopped: true, result: result}
  end

  # The original code of the `lines:` modules goes back once tracing is off.
  defp restore_lines(%{lines: {restore, _}}) do
    case Lines.restore(restore) do
      [] ->
        :ok

      mods ->
        :logger.warning(
          "otpscope: could not load the original code of #{inspect(mods)} back " <>
            "(a process still runs it); the instrumented version stays loaded, its " <>
            "snapshot calls do nothing now"
        )
    end
  end

  defp restore_lines(_st), do: :ok
end

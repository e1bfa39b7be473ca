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
  #
  # Ring mode (`mode: :ring`): the writer keeps the window in memory; the
  # controller turns dump/0, the crash of a watched process (`dump_on:
  # [exit_of: ...]`) and `:telemetry` events (`dump_on: [telemetry: ...]`)
  # into dumps, each a new archive, and at stop writes the last window to
  # `:file`.

  use GenServer

  alias Otpscope.{Callbacks, Facts, Lines, Snapshots, Switcher, Trace, Tracer, Writer}

  @version Mix.Project.config()[:version]
  # how often the states too big to trace are read instead (ms)
  @read_every 1_000
  @loads_busy "another tool traces code loading (an on_load trace pattern, or a meta one on " <>
                ":erlang.prepare_loading/2): a GenServer or " <>
                "gen_statem whose module loads while recorded has its callbacks traced from " <>
                "its first process's spawn only, and a module loaded again loses its patterns"

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

        st = Map.merge(st, %{owner_ref: owner_ref, timer: timer, result: nil, waiting: []})
        {:ok, st |> watch_exits() |> follow_names()}

      {:error, reason} ->
        send(caller, {ref, reason})
        {:stop, :normal}
    end
  end

  # Setting up, in phases: the refusals (nothing on the node changed yet),
  # then what to trace, the facts at start, the states at start, the
  # writer, the tracer, and tracing switched on last. A refusal returns
  # `{:error, reason}` and leaves the node as it was; so does a writer that
  # cannot open its file (the `lines:` modules get their code back).
  defp setup(opts) do
    backend = Trace.backend()

    with {:ok, spec, user_patterns, lines} <- refusals(opts, backend) do
      case start_recording(opts, backend, spec, user_patterns, lines) do
        {:ok, st} ->
          {:ok, Map.put(st, :lines, lines)}

        error ->
          Lines.restore(elem(lines, 0))
          error
      end
    end
  end

  # Everything that may refuse the recording: dead or unknown processes,
  # processes another tracer owns, a missing :telemetry, modules that are
  # not loaded or already traced by another tool. The `lines:` modules are
  # instrumented last (the only change made here).
  defp refusals(opts, backend) do
    with {:ok, spec} <- resolve(opts.processes),
         :ok <- Trace.check_free(backend, spec, [self() | Map.get(opts, :unrecorded, [])]),
         :ok <- telemetry_loaded(opts),
         {:ok, user_patterns} <- user_patterns(backend, opts),
         {:ok, lines} <- lines(backend, opts) do
      {:ok, spec, user_patterns, lines}
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

  defp start_recording(opts, backend, spec, user_patterns, {_restore, line_patterns}) do
    # the modules of the loaded applications not loaded yet: GenServers to trace from their first call, structs
    scan = Facts.application_modules()
    plan = plan_patterns(opts, backend, spec, user_patterns, line_patterns, scan)
    facts = start_facts(spec, scan)
    limits = {opts.max_binary, opts.max_list, opts.max_map, opts.max_tuple, opts.max_depth}
    {snapshots, plan} = start_states(opts, spec, facts, limits, plan)
    manifest = manifest(opts, backend, facts.started_ns, facts.mono_ns, plan.warnings)
    # read now, before tracing: a module found later has its source path made relative to it
    cwd = File.cwd!()

    with {:ok, writer, encoders} <- start_writer(opts, plan, facts, manifest, limits) do
      Process.link(writer)
      switcher = Switcher.start_link()
      tracer = start_tracer(opts, spec, writer, encoders, switcher, limits, snapshots, plan)
      Process.link(tracer)
      own = [self(), tracer, writer, switcher | encoders] ++ Map.get(opts, :unrecorded, [])
      trace = switch_on(opts, backend, spec, tracer, own, plan)

      {:ok,
       read_huge(%{
         opts: opts,
         cwd: cwd,
         backend: backend,
         trace: trace,
         tracer: tracer,
         writer: writer,
         encoders: encoders,
         switcher: switcher,
         known: MapSet.new(plan.callback_mods ++ plan.traced_mods),
         warnings: plan.warnings,
         stopped: false,
         processes_start: facts.processes_start,
         # the struct modules looked at so far (Facts.structs/1)
         structs: elem(facts.structs, 1),
         telemetry: attach_telemetry(opts),
         dumps: [],
         # triggered dumps: how many, when the last (monotonic ms), how
         # many triggers were skipped (max_dumps, min_dump_interval)
         triggered: 0,
         last_triggered: nil,
         skipped: 0,
         skip_logged: false,
         # processes whose states were too big to trace ({pid, module}),
         # and the process that reads their states
         huge: plan.huge,
         reader: nil,
         watched: %{},
         names: [],
         # modules being loaded (the code-loading watch): module => looks
         # at it that found its new code not in place yet; when the next
         # look is due (monotonic ms)
         loading: %{},
         loads_due: nil
       })}
    end
  end

  # The states found too big at start are read from now on (their state at
  # start is among the snapshots already).
  defp read_huge(%{huge: []} = st), do: st

  defp read_huge(st) do
    st = ensure_reader(st)
    send(st.reader, {:otpscope_read, st.huge, :later})
    st
  end

  # The trace patterns to set: the user's `modules:`, the callbacks of the
  # chosen GenServers and gen_statems (those another tool already traces
  # are skipped with a warning), :telemetry.execute/3, the `lines:`
  # snapshots; and the sources of the traced modules.
  defp plan_patterns(opts, backend, spec, user_patterns, line_patterns, scan) do
    callback_mods = callback_modules(opts, chosen_pids(spec), spec, scan)

    callback_patterns =
      for mod <- callback_mods, mfa <- Callbacks.functions(mod), do: {mfa, ms(), [:global]}

    {callback_patterns, skipped} =
      Enum.split_with(callback_patterns, fn {mfa, _, _} -> Trace.pattern_free?(backend, mfa) end)

    # loaded first if it is on the code path: in interactive mode (`iex -S mix`) a module is loaded on its first
    # call, and a call pattern set before that would miss it
    telemetry =
      if opts.telemetry and Code.ensure_loaded?(:telemetry) and
           Trace.pattern_free?(backend, {:telemetry, :execute, 3}),
         do: [{{:telemetry, :execute, 3}, [{:_, [], []}], [:global]}],
         else: []

    traced_mods = Enum.uniq(for {{m, _, _}, _, _} <- user_patterns ++ callback_patterns, do: m)
    {naming, naming_patterns} = naming_patterns(opts, backend, user_patterns)
    {loads, loads_warnings} = loads(opts, backend)

    %{
      patterns:
        user_patterns ++ callback_patterns ++ telemetry ++ line_patterns ++ naming_patterns,
      naming: naming,
      loads: loads,
      callback_mods: callback_mods,
      traced_mods: traced_mods,
      # the sources of the modules with line snapshots too
      sources: Callbacks.sources(traced_mods ++ Enum.map(opts.lines, &elem(&1, 0))),
      warnings:
        for(
          {mfa, _, _} <- skipped,
          do: "#{inspect(mfa)} already has a trace pattern set by another tool; not traced"
        ) ++ loads_warnings
    }
  end

  # Names taken after the start (Otpscope.Facts.naming_functions/0), for
  # the lifecycle facts: their calls and returns are traced for the facts
  # alone (no events), unless the user's `modules:` trace them already
  # (then they are events too, and facts when the user's match spec traces
  # returns). `{mfa => facts only?, patterns}`.
  defp naming_patterns(%{lifecycle: false}, _backend, _user_patterns), do: {%{}, []}

  defp naming_patterns(_opts, backend, user_patterns) do
    users = for {{m, f, a}, _, _} <- user_patterns, do: {m, f, a}

    Enum.reduce(Facts.naming_functions(), {%{}, []}, fn {m, f, a} = mfa, {naming, patterns} ->
      cond do
        Enum.any?(users, &match?({^m, uf, ua} when uf in [f, :_] and ua in [a, :_], &1)) ->
          {Map.put(naming, mfa, false), patterns}

        Code.ensure_loaded?(m) and Trace.pattern_free?(backend, mfa) ->
          {Map.put(naming, mfa, true), patterns ++ [{mfa, ms(), [:global]}]}

        true ->
          {naming, patterns}
      end
    end)
  end

  # Whether to watch code loading (Otpscope.Trace.watch_loads/2): when
  # callbacks or `modules:` are traced, so that a module loaded while
  # recorded has its callbacks traced from its first call, and a module
  # loaded again (a hot code load) keeps its patterns.
  defp loads(opts, backend) do
    cond do
      not opts.states and opts.modules == [] -> {false, []}
      Trace.loads_free?(backend) -> {true, []}
      true -> {false, [@loads_busy]}
    end
  end

  # The processes and supervision trees at start, and the clocks.
  defp start_facts(spec, scan) do
    facts = if spec in [:all, :new], do: Process.list(), else: chosen_pids(spec)

    %{
      processes_start: Facts.processes(facts -- [self()]),
      tree_start: Facts.trees(),
      structs: Facts.structs(%{}, scan),
      started_ns: :os.system_time(:nanosecond),
      mono_ns: :erlang.monotonic_time(:nanosecond)
    }
  end

  # States at start, before tracing is on (the tracer's first buffer); the
  # processes that could not be read are counted in a warning.
  # States at start, before tracing is on (the tracer's first buffer); the
  # processes that could not be read are counted in a warning. States too
  # big to copy into trace messages (Otpscope.Tracer.huge_words/1) are
  # read cut inside their process, and those processes' calls are not
  # traced: the state reader reads them at intervals instead.
  defp start_states(opts, spec, _facts, _limits, plan)
       when not opts.states or not opts.start_states or spec == :new,
       do: {[], Map.put(plan, :huge, [])}

  defp start_states(opts, _spec, facts, limits, plan) do
    targets =
      for {pid, _} = t <- Snapshots.targets(facts.processes_start), pid != opts.owner, do: t

    {huge, huge_snaps} =
      Snapshots.huge(targets, limits, Tracer.huge_words(opts.max_mailbox_memory))

    huge_pids = for {pid, _, _} <- huge, do: pid

    {snapshots, unread} =
      Snapshots.take(
        for({pid, _} = t <- targets, pid not in huge_pids, do: t),
        limits,
        opts.chunk_events,
        Tracer.buffer_words(opts.max_buffer_memory)
      )

    warnings =
      if unread > 0,
        do: [
          "the state of #{unread} GenServer/gen_statem process(es) could not be read at start " <>
            "(busy, suspended, a heap over max_buffer_memory / 8, or over the time budget)"
        ],
        else: []

    read = for {:otpscope_state, pid, _, _, _} <- huge_snaps, do: pid

    warnings =
      warnings ++
        for {pid, mod, words} <- huge do
          mb = Float.round(words * :erlang.system_info(:wordsize) / 1_000_000, 1)

          what =
            if pid in read,
              do: "is #{mb} MB",
              else: "could not be read at start and its heap is #{mb} MB"

          "the state of #{inspect(pid)} (#{inspect(mod)}) #{what}: its calls are not " <>
            "traced, its state is read every #{@read_every} ms instead, cut to the term limits"
        end

    {huge_snaps ++ snapshots,
     %{plan | warnings: plan.warnings ++ warnings}
     |> Map.put(:huge, for({pid, mod, _} <- huge, do: {pid, mod}))}
  end

  defp start_writer(opts, plan, facts, manifest, limits) do
    writer_opts = %{
      file: opts.file,
      level: opts.level,
      manifest: manifest,
      processes_start: facts.processes_start,
      tree_start: facts.tree_start,
      structs: elem(facts.structs, 0),
      sources: plan.sources,
      limits: limits,
      encoders: opts.encoders,
      naming: plan.naming
    }

    Writer.start(
      if opts.mode == :ring,
        do: Map.put(writer_opts, :ring, {opts.keep, opts.max_buffer_memory}),
        else: writer_opts
    )
  end

  defp start_tracer(opts, spec, writer, encoders, switcher, limits, snapshots, plan) do
    exit_modules = MapSet.new(for {:exit_of, ts} <- opts.dump_on, t <- ts, is_atom(t), do: t)

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
          switcher: switcher,
          controller: self(),
          limits: limits,
          initial: snapshots,
          known_modules: MapSet.new(plan.callback_mods),
          calls: Tracer.calls(for {mfa, _, _} <- plan.patterns, do: mfa),
          late_callbacks: opts.states,
          watch_spawns: (opts.states and spec in [:all, :new]) or MapSet.size(exit_modules) > 0,
          exit_modules: exit_modules,
          sample: Trace.sample_threshold(opts.sample)
        }
      )
    )
  end

  # The patterns, then the flags on the chosen processes: a pattern traces
  # nothing until a process has the call flag, while flags switched on first
  # recorded a busy GenServer receiving requests that no callback took, for
  # as long as the patterns took to set (each waits for a code barrier). The
  # tracer gets the trace first: it needs it to suspend tracing under
  # overload, and it must have it before any trace message can reach it.
  defp switch_on(opts, backend, spec, tracer, own, plan) do
    trace =
      Trace.new(backend, tracer, spec, flags(opts), own)
      |> Trace.sample(Trace.sample_threshold(opts.sample))

    trace = Enum.reduce(plan.huge, trace, fn {pid, _}, t -> Trace.keep_calls_off(t, pid) end)

    # first: a module loaded while the other patterns are set is narrowed like any later one
    trace =
      case plan.loads && Trace.watch_loads(trace, self()) do
        {:ok, trace} -> trace
        _ -> trace
      end

    trace =
      Enum.reduce(plan.patterns, trace, fn {mfa, ms, pflags}, trace ->
        {_n, trace} = Trace.pattern(trace, mfa, ms, pflags)
        trace
      end)

    send(tracer, {:otpscope_trace, trace})
    Trace.enable(trace)
  end

  defp ms, do: [{:_, [], [{:exception_trace}]}]

  defp flags(opts) do
    [:strict_monotonic_timestamp] ++
      if(opts.lifecycle, do: [:procs], else: []) ++
      if(opts.messages, do: [:send, :receive], else: []) ++
      if(
        opts.states or opts.modules != [] or opts.telemetry or opts.lines != [] or opts.lifecycle,
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

  defp callback_modules(%{states: false}, _chosen, _spec, _scan), do: []

  # With `:all` or `:new`, every GenServer and gen_statem module, those of the loaded applications not loaded yet too
  # (loaded here: a process started while recorded has its `init/1` traced).
  defp callback_modules(_opts, chosen, spec, scan) do
    mods = Callbacks.of_processes(chosen)
    if spec in [:all, :new], do: Callbacks.load_servers(scan)
    mods = if spec in [:all, :new], do: mods ++ Callbacks.loaded(), else: mods
    Enum.uniq(mods)
  end

  defp manifest(opts, backend, started_ns, mono_ns, warnings) do
    {:object,
     [
       {"format", "otpscope"},
       {"format_version", 6},
       {"recorder_version", @version},
       {"node", Atom.to_string(node())},
       {"otp_release", List.to_string(:erlang.system_info(:otp_release))},
       {"erts_version", List.to_string(:erlang.system_info(:version))},
       # null on a node without Elixir of its own (an Erlang node attach mode loaded Elixir's modules onto: the
       # :elixir application is not there), as for raw traces
       {"elixir_version", if(Application.spec(:elixir, :vsn), do: System.version())},
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
         Enum.map(Enum.sort(Map.drop(opts, [:owner, :unrecorded])), fn {k, v} ->
           {Atom.to_string(k), json_option(v)}
         end)}},
       {"trace_backend", Atom.to_string(backend)},
       {"warnings", warnings}
     ]}
  end

  defp json_option(v) when is_integer(v) or is_boolean(v) or is_binary(v), do: v
  defp json_option(v), do: inspect(v)

  # --- ring mode: dumps and their triggers ---------------------------------

  defp telemetry_loaded(opts) do
    if opts.dump_on[:telemetry] && not Code.ensure_loaded?(:telemetry),
      do:
        {:error,
         {:telemetry_not_loaded,
          "dump_on: [telemetry: ...] needs the :telemetry application on the node"}},
      else: :ok
  end

  defp attach_telemetry(opts) do
    case opts.dump_on[:telemetry] do
      nil ->
        nil

      events ->
        id = {__MODULE__, self(), make_ref()}
        :ok = apply(:telemetry, :attach_many, [id, events, &__MODULE__.telemetry_event/4, self()])
        id
    end
  end

  defp detach_telemetry(%{telemetry: nil}), do: :ok

  defp detach_telemetry(%{telemetry: id}) do
    apply(:telemetry, :detach, [id])
  catch
    _, _ -> :ok
  end

  @doc false
  # The :telemetry handler of `dump_on: [telemetry: events]`: runs in the
  # process that emitted the event, so it only sends a message.
  def telemetry_event(event, _measurements, _metadata, controller),
    do: send(controller, {:otpscope_trigger, {:telemetry, event}})

  # `dump_on: [exit_of: targets]`: a pid is watched once; a name (local,
  # :global, :via) is watched through whatever process holds it, looked
  # up again every second while none does (a supervisor restarts it under
  # the same name); an atom is also a callback module: every process whose
  # `$initial_call` module it is, now and later (the tracer reports new
  # ones from their spawn events, which needs `lifecycle: true`).
  defp watch_exits(%{opts: %{dump_on: dump_on}} = st) do
    targets = for {:exit_of, ts} <- dump_on, t <- ts, do: t

    if targets == [] do
      st
    else
      mods = for t <- targets, is_atom(t), do: t

      by_module =
        if mods == [],
          do: [],
          else:
            for(%{pid: p, module: m} <- Facts.processes(Process.list()), m in mods, do: {p, m})

      st =
        Enum.reduce(targets, %{st | names: Enum.reject(targets, &is_pid/1)}, fn
          pid, st when is_pid(pid) -> watch(st, pid, pid)
          _name, st -> st
        end)

      st = Enum.reduce(by_module, st, fn {pid, mod}, st -> watch(st, pid, mod) end)
      watch_names(st)
    end
  end

  defp watch(st, pid, target) do
    if Enum.any?(st.watched, fn {_ref, {p, _}} -> p == pid end),
      do: st,
      else: %{st | watched: Map.put(st.watched, Process.monitor(pid), {pid, target})}
  end

  defp watch_names(%{names: []} = st), do: st

  defp watch_names(st) do
    st =
      Enum.reduce(st.names, st, fn name, st ->
        case GenServer.whereis(name) do
          pid when is_pid(pid) -> watch(st, pid, name)
          _ -> st
        end
      end)

    Process.send_after(self(), :otpscope_watch_names, 1_000)
    st
  end

  # `processes:` names (local, :global, :via) are followed: when the
  # process holding one exits, whatever process takes the name next (a
  # supervisor's restart) is traced too, found by looking the name up every
  # 10 ms for a second after the exit, then every second.
  defp follow_names(%{opts: %{processes: list}} = st) when is_list(list) do
    Enum.reduce(list, Map.put(st, :follow, %{}), fn
      pid, st when is_pid(pid) ->
        st

      name, st ->
        case GenServer.whereis(name) do
          pid when is_pid(pid) -> %{st | follow: Map.put(st.follow, Process.monitor(pid), name)}
          _ -> st
        end
    end)
  end

  defp follow_names(st), do: Map.put(st, :follow, %{})

  defp follow(st, name, tries) do
    case GenServer.whereis(name) do
      pid when is_pid(pid) ->
        st = if pid in st.trace.spec, do: st, else: trace_new_holder(st, pid)
        %{st | follow: Map.put(st.follow, Process.monitor(pid), name)}

      _ ->
        Process.send_after(
          self(),
          {:otpscope_follow, name, tries + 1},
          if(tries < 100, do: 10, else: 1_000)
        )

        st
    end
  end

  defp trace_new_holder(st, pid) do
    trace = Trace.add(st.trace, pid)
    send(st.tracer, {:otpscope_follow, pid})
    %{st | trace: trace}
  end

  defp crash?(reason),
    do: reason not in [:normal, :shutdown, :noproc] and not match?({:shutdown, _}, reason)

  # A dump for a trigger, then one more if triggers came while it was
  # written (their events may be after its window's end): back to back at
  # most, never one per trigger of a burst. Past `max_dumps`, or sooner
  # than `min_dump_interval` after the last triggered dump, a trigger is
  # only counted (a crash loop would otherwise write an archive per crash).
  defp triggered(st, why) do
    st = trigger(st, why)
    {st, more} = pending_triggers(st, [])

    case more do
      [] -> st
      [first | _] -> trigger(st, first)
    end
  end

  defp trigger(st, why) do
    now = :erlang.monotonic_time(:millisecond)

    cond do
      st.triggered >= st.opts.max_dumps ->
        skip(st, "max_dumps (#{st.opts.max_dumps}) reached: no more dumps by trigger")

      st.last_triggered != nil and now - st.last_triggered < st.opts.min_dump_interval ->
        skip(
          st,
          "a trigger within min_dump_interval (#{st.opts.min_dump_interval} ms) of the last dump"
        )

      true ->
        st = dump_now(st, nil, why)
        %{st | triggered: st.triggered + 1, last_triggered: now, skip_logged: false}
    end
  end

  # Logged once per dump (and once when max_dumps is reached), not per
  # trigger: a crash loop must not flood the log either.
  defp skip(st, why) do
    unless st.skip_logged,
      do:
        :logger.notice(
          "otpscope: #{why}; this trigger and those like it are not dumped " <>
            "(counted in Otpscope.info/0's dumps_skipped)"
        )

    %{st | skipped: st.skipped + 1, skip_logged: true}
  end

  defp pending_triggers(st, acc) do
    receive do
      {:otpscope_trigger, what} ->
        pending_triggers(st, acc ++ [{:telemetry, what}])

      {:DOWN, ref, :process, _, reason} when is_map_key(st.watched, ref) ->
        {{pid, target}, watched} = Map.pop(st.watched, ref)
        st = %{st | watched: watched}
        acc = if crash?(reason), do: acc ++ [{:exit_of, target, reason, pid}], else: acc
        pending_triggers(st, acc)
    after
      0 -> {st, acc}
    end
  end

  defp dump_now(st, path, why) do
    {_result, st} = dump(st, path, why)
    st
  end

  # Writes the window now. `{result, st}`.
  defp dump(st, path, why) do
    # a trigger's window is anchored at the trigger (Otpscope.Ring.window/3):
    # a crash at its process's exit event, else now
    now = :erlang.monotonic_time(:nanosecond)

    anchor =
      case why do
        :dump -> nil
        {:exit_of, _, _, pid} -> {pid, now}
        _ -> {nil, now}
      end

    # the writer keeps, until this dump is written, the events up to the
    # trigger that the window needs (chunks of a busy node fill in tens of
    # ms: the crash's own would leave the ring before the dump's request)
    ref = make_ref()

    if anchor && st.opts.mode == :ring,
      do: send(st.writer, {:otpscope_hold, ref, elem(anchor, 1)})

    {structs, known} = Facts.structs(st.structs)
    st = %{st | structs: known}
    req = dump_request(st, path || next_dump_path(st), reason_text(why), structs)
    req = %{req | ref: ref} |> Map.put(:anchor, anchor)
    # Every trace message generated before the window's end (`req.now`),
    # the crash's own exit event among them, is in the tracer's mailbox
    # before the request: the window holds all of them.
    delivered = :erlang.trace_delivered(:all)

    receive do
      {:trace_delivered, :all, ^delivered} -> :ok
    after
      5_000 -> :ok
    end

    send(st.tracer, {:otpscope_dump, req})
    ref = req.ref

    result =
      receive do
        {:otpscope_dumped, ^ref, {:ok, file, _totals}} -> {:ok, file}
        {:otpscope_dumped, ^ref, {:error, e}} -> {:error, e}
      after
        120_000 -> {:error, :dump_timeout}
      end

    log_dump(result, why)

    case result do
      {:ok, file} -> {result, %{st | dumps: st.dumps ++ [file]}}
      _ -> {result, st}
    end
  end

  defp reason_text(:dump), do: "dump"
  defp reason_text({:exit_of, _, _, _}), do: "exit_of"
  defp reason_text({:telemetry, _}), do: "telemetry"
  defp reason_text(text) when is_binary(text), do: text

  defp log_dump({:ok, file}, :dump), do: :logger.info("otpscope: window dumped to #{file}")

  defp log_dump({:ok, file}, {:exit_of, target, reason, _pid}),
    do:
      :logger.notice(
        "otpscope: #{inspect(target)} exited (#{inspect(reason, limit: 10)}); window dumped to #{file}"
      )

  defp log_dump({:ok, file}, {:telemetry, event}),
    do: :logger.notice("otpscope: telemetry event #{inspect(event)}; window dumped to #{file}")

  defp log_dump({:error, reason}, _why),
    do: :logger.error("otpscope: dumping the window failed: #{inspect(reason)}")

  defp log_dump(_result, _why), do: :ok

  # `trace.zip` -> `trace-001.zip`, `trace-002.zip`, ...: never an existing file
  defp next_dump_path(st) do
    file = st.opts.file
    ext = Path.extname(file)
    root = String.trim_trailing(file, ext)

    Stream.iterate(length(st.dumps) + 1, &(&1 + 1))
    |> Stream.map(&"#{root}-#{String.pad_leading(Integer.to_string(&1), 3, "0")}#{ext}")
    |> Enum.find(&(not File.exists?(&1)))
  end

  # `structs`: Facts.structs/1's list when the caller has just looked (dump/3), else looked up here (the stop)
  defp dump_request(st, path, reason, structs \\ nil) do
    opts = st.opts
    backend = st.backend
    warnings = st.warnings
    chosen = if opts.processes in [:all, :new], do: Process.list(), else: chosen_alive(st)

    %{
      ref: make_ref(),
      reply_to: self(),
      file: path,
      reason: reason,
      now: :erlang.monotonic_time(:nanosecond),
      keep: opts.keep,
      processes: Facts.processes(chosen -- [self()]),
      tree: Facts.trees(),
      structs: structs || elem(Facts.structs(st.structs), 0),
      manifest: fn from ->
        manifest(opts, backend, from + :erlang.time_offset(:nanosecond), from, warnings)
      end
    }
  end

  defp chosen_alive(st), do: Enum.filter(st.trace.spec, &Process.alive?/1)

  defp ensure_reader(%{reader: nil} = st) do
    o = st.opts
    limits = {o.max_binary, o.max_list, o.max_map, o.max_tuple, o.max_depth}
    reader = Snapshots.reader(st.tracer, limits, @read_every)
    send(st.tracer, {:otpscope_state_reader, reader})
    %{st | reader: reader}
  end

  defp ensure_reader(st), do: st

  # How many times the reader read each process's state.
  defp states_read(%{reader: nil}), do: %{}

  defp states_read(%{reader: reader}) do
    send(reader, {:otpscope_reads, self()})

    receive do
      {:otpscope_reads, ^reader, reads} -> reads
    after
      3_000 -> %{}
    end
  end

  # Before the tracer drains: no state read after this.
  defp stop_reader(%{reader: nil}), do: :ok

  defp stop_reader(%{reader: reader}) do
    send(reader, {:otpscope_stop_reading, self()})

    receive do
      {:otpscope_reader_stopped, ^reader} -> :ok
    after
      5_000 -> Process.exit(reader, :kill)
    end
  end

  @impl true
  def handle_call(:stop, _from, %{stopped: false} = st) do
    st = do_stop(st, "stop")
    # whoever awaits the end gets the result too (it exited with the recorder)
    Enum.each(st.waiting, &GenServer.reply(&1, st.result))
    {:stop, :normal, st.result, st}
  end

  def handle_call(:stop, _from, st), do: {:stop, :normal, st.result, st}

  def handle_call({:dump, _path}, _from, %{opts: %{mode: :record}} = st),
    do: {:reply, {:error, :not_ring_mode}, st}

  def handle_call({:dump, _path}, _from, %{stopped: true} = st),
    do: {:reply, {:error, :not_recording}, st}

  def handle_call({:dump, path}, _from, st) do
    {result, st} = dump(st, path, :dump)
    {:reply, result, st}
  end

  def handle_call(:dumps, _from, st), do: {:reply, {:ok, st.dumps}, st}

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

    own = %{
      tracer: st.tracer,
      writer: st.writer,
      encoders: st.encoders,
      stopped: st.stopped,
      file: st.opts.file,
      huge_states: st.huge,
      states_read: states_read(st)
    }

    ring =
      if st.opts.mode == :ring,
        do: %{dumps: length(st.dumps), dumps_skipped: st.skipped},
        else: %{}

    {:reply, stats |> Map.merge(own) |> Map.merge(ring), st}
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

      send(st.writer, {:otpscope_sources, Callbacks.sources([mod], st.cwd)})
      {:noreply, %{st | trace: trace, known: MapSet.put(st.known, mod)}}
    end
  end

  # The code-loading watch (Otpscope.Trace.watch_loads/2): a module is
  # being loaded; it is narrowed once its new code is in place, looked at
  # 1 ms later, then at growing intervals (the code server may finish it
  # after others: `:code.ensure_modules_loaded/1` prepares modules in
  # parallel, then finishes them together).
  def handle_info({:trace_ts, _, :call, {:erlang, :prepare_loading, [mod | _]}, _}, st)
      when is_atom(mod) and not st.stopped,
      do: {:noreply, look_loaded(%{st | loading: Map.put(st.loading, mod, 0)}, 1)}

  def handle_info(:otpscope_loaded, st) when not st.stopped do
    st = narrow_loaded(%{st | loads_due: nil})

    case Map.values(st.loading) do
      [] -> {:noreply, st}
      looks -> {:noreply, look_loaded(st, min(:erlang.bsl(1, min(Enum.min(looks), 7)), 100))}
    end
  end

  # The tracer switched the call tracing of `pid` off: its state is too big
  # to copy into trace messages (Otpscope.Tracer huge/3). Its state is read
  # at intervals instead, cut inside the process.
  # `per_second`: nil when one callback message was too big, else the words its
  # callbacks' messages copied within a second (Otpscope.Tracer.huge/3)
  def handle_info({:otpscope_huge_state, pid, mod, words, per_second}, %{stopped: false} = st) do
    st = ensure_reader(%{st | trace: Trace.drop_calls(st.trace, pid)})
    send(st.reader, {:otpscope_read, [{pid, mod}], :now})
    mb = fn words -> Float.round(words * :erlang.system_info(:wordsize) / 1_000_000, 1) end

    copies =
      if per_second,
        do:
          "copied #{mb.(per_second)} MB of state into its callbacks' trace messages within a second",
        else: "copies #{mb.(words)} MB of state into each callback's trace message"

    :logger.notice(
      "otpscope: #{inspect(pid)} (#{inspect(mod)}) #{copies}: its calls are no longer traced; " <>
        "its state is read every #{@read_every} ms instead, cut to the term limits"
    )

    {:noreply, %{st | huge: st.huge ++ [{pid, mod}]}}
  end

  def handle_info({:DOWN, ref, :process, _, reason}, %{stopped: false} = st)
      when is_map_key(st.watched, ref) do
    {{pid, target}, watched} = Map.pop(st.watched, ref)
    st = %{st | watched: watched}
    {:noreply, if(crash?(reason), do: triggered(st, {:exit_of, target, reason, pid}), else: st)}
  end

  def handle_info({:DOWN, ref, :process, _, _}, %{stopped: false} = st)
      when is_map_key(st.follow, ref) do
    {name, follow} = Map.pop(st.follow, ref)
    {:noreply, follow(%{st | follow: follow}, name, 0)}
  end

  def handle_info({:otpscope_follow, name, tries}, %{stopped: false} = st),
    do: {:noreply, follow(st, name, tries)}

  def handle_info({:otpscope_trigger, what}, %{stopped: false} = st),
    do: {:noreply, triggered(st, what)}

  def handle_info({:otpscope_watch, pid, mod}, %{stopped: false} = st),
    do: {:noreply, watch(st, pid, mod)}

  def handle_info(:otpscope_watch_names, %{stopped: false} = st), do: {:noreply, watch_names(st)}

  def handle_info({:DOWN, ref, :process, _, _}, %{owner_ref: ref} = st) do
    st = if st.stopped, do: st, else: do_stop(st, "owner_down")
    {:stop, :normal, st}
  end

  # A full disk: the writer cut the archive back to its last complete chunk
  # and closed it; stop like at the end of the duration, and keep the path
  # and the reason for stop/0.
  def handle_info({:otpscope_write_failed, writer, file, reason}, %{writer: writer} = st) do
    # the tracer discards its mailbox from now on (the writer tells it too,
    # when it knows it: the tracer of the chunk that failed)
    send(st.tracer, :otpscope_dead)

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
    Switcher.stop(st.switcher, 5_000)
    Trace.disable(st.trace)
    restore_lines(st)
    Enum.each([st.tracer, st.writer | st.encoders], &Process.exit(&1, :kill))
    if st.reader, do: Process.exit(st.reader, :kill)
    file = st.opts.file

    :logger.error(
      "otpscope: the recorder's #{if pid == st.tracer, do: "tracer", else: "writer"} " <>
        "crashed (#{inspect(reason)}); recording stopped, #{file} is readable up to its " <>
        "last complete chunk"
    )

    auto_stop_with(%{st | stopped: true, result: {:error, {:recorder_crashed, file, reason}}})
  end

  def handle_info(_msg, st), do: {:noreply, st}

  # The next look at the modules being loaded, in `ms` unless one is due sooner.
  defp look_loaded(st, ms) do
    due = :erlang.monotonic_time(:millisecond) + ms

    if st.loads_due == nil or st.loads_due > due do
      Process.send_after(self(), :otpscope_loaded, ms)
      %{st | loads_due: due}
    else
      st
    end
  end

  # A module prepared whose code is not in place after 300 looks (30 s and
  # more) failed to load (its on_load function, a process running old
  # code): forgotten.
  defp narrow_loaded(st) do
    Enum.reduce(st.loading, %{st | loading: %{}}, fn {mod, looks}, st ->
      cond do
        Trace.broad?(st.trace, mod) -> narrow(st, mod)
        looks < 300 -> %{st | loading: Map.put(st.loading, mod, looks + 1)}
        true -> st
      end
    end)
  end

  # The patterns a module loaded while recorded keeps: those set on its
  # earlier code (a hot code load), and its callbacks when it is a
  # GenServer or gen_statem of the recorded processes (any, with `:all` or
  # `:new`). The tracer is told which of its calls to record: until the
  # narrowing, its other functions are traced too.
  defp narrow(st, mod) do
    earlier = Trace.patterns_of(st.trace, mod)

    callbacks =
      if st.opts.states and not Callbacks.own?(mod) and
           (st.opts.processes in [:all, :new] or MapSet.member?(st.known, mod)),
         do: for(mfa <- Callbacks.functions(mod), do: {mfa, ms(), [:global]}),
         else: []

    keep = Enum.uniq(earlier ++ callbacks)
    trace = Trace.narrow(st.trace, mod, keep)
    send(st.tracer, {:otpscope_calls, mod, for({{_, f, a}, _, _} <- keep, do: {f, a})})

    if callbacks != [] and not MapSet.member?(st.known, mod) do
      send(st.writer, {:otpscope_sources, Callbacks.sources([mod], st.cwd)})
      %{st | trace: trace, known: MapSet.put(st.known, mod)}
    else
      %{st | trace: trace}
    end
  end

  @impl true
  def terminate(_reason, %{stopped: false} = st) do
    if st.reader, do: Process.exit(st.reader, :kill)
    detach_telemetry(st)
    Switcher.stop(st.switcher, 5_000)
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
    detach_telemetry(st)
    stop_reader(st)
    # no switch-on after this (Otpscope.Switcher)
    Switcher.stop(st.switcher, 60_000)
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

    stop_info =
      if st.opts.mode == :ring,
        do: %{reason: reason, tree: tree, dump: dump_request(st, st.opts.file, reason)},
        else: %{reason: reason, tree: tree}

    send(st.tracer, {:otpscope_stop, self(), stop_info})
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

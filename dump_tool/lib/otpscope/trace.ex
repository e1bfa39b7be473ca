defmodule Otpscope.Trace do
  @moduledoc false
  # The only module that touches trace flags and trace patterns.
  #
  # OTP 27+ has trace sessions (the :trace module): our flags and patterns live
  # in our own session, other tools (dbg, recon, observer) keep theirs, and
  # destroying the session removes exactly what we set. Older OTPs have one
  # tracer per process and global patterns, so there we refuse to start when a
  # chosen process already has a tracer or a chosen function already has a
  # pattern, and we remove only the flags of processes whose tracer is ours and
  # only the patterns we set.
  #
  # The :trace module is called through apply/3 so this compiles without
  # warnings on OTP 25/26, where it does not exist.

  defstruct [
    :backend,
    :session,
    :tracer,
    :spec,
    :flags,
    # the session of the code-loading watch (OTP 27+: its meta patterns
    # send to the controller, not to the tracer; watch_loads/2)
    :loads_session,
    patterns: [],
    # the code-loading watch is on (watch_loads/2)
    loads: false,
    exclude: [],
    sample: nil,
    # processes whose calls are no longer traced (huge GenServer states)
    no_call: MapSet.new()
  ]

  @doc "`:session` on OTP 27+ (the :trace module exists), else `:legacy`."
  def backend do
    if Code.ensure_loaded?(:trace) and function_exported?(:trace, :session_create, 3),
      do: :session,
      else: :legacy
  end

  @doc """
  Checks that nobody else traces the chosen processes (legacy backend only).
  `spec` is `:all`, `:new` or a list of pids.
  """
  def check_free(:session, _spec, _exclude), do: :ok

  def check_free(:legacy, spec, exclude) do
    pids =
      case spec do
        :new -> []
        :all -> Process.list() -- exclude
        list -> list
      end

    new_busy =
      if spec in [:all, :new] do
        case :erlang.trace_info(:new_processes, :tracer) do
          {:tracer, []} -> []
          {:tracer, t} -> [{:new_processes, t}]
          _ -> []
        end
      else
        []
      end

    busy =
      Enum.flat_map(pids, fn pid ->
        case :erlang.trace_info(pid, :tracer) do
          {:tracer, []} -> []
          {:tracer, t} -> [{pid, t}]
          _ -> []
        end
      end)

    case new_busy ++ busy do
      [] ->
        :ok

      [{who, t} | _] = all ->
        {:error,
         {:already_traced,
          "another tracer (#{inspect(t)}) already traces #{inspect(who)} " <>
            "(#{length(all)} process(es) in all); on OTP < 27 a process has one tracer. " <>
            "Stop the other tracer (e.g. :dbg.stop()) or choose other processes"}}
    end
  end

  @doc "Is `mfa` free of trace patterns set by someone else? (legacy backend)"
  def pattern_free?(:session, _mfa), do: true

  def pattern_free?(:legacy, {m, :_, :_}) do
    Enum.all?(m.module_info(:functions), fn {f, a} -> pattern_free?(:legacy, {m, f, a}) end)
  end

  def pattern_free?(:legacy, {m, f, :_}) do
    Enum.all?(m.module_info(:functions), fn
      {^f, a} -> pattern_free?(:legacy, {m, f, a})
      _ -> true
    end)
  end

  def pattern_free?(:legacy, mfa) do
    case :erlang.trace_info(mfa, :traced) do
      {:traced, false} -> true
      {:traced, :undefined} -> true
      _ -> false
    end
  end

  @doc """
  Prepares tracing `spec` with `flags` to `tracer` (creates the session on
  OTP 27+). Nothing is traced until enable/1.
  """
  def new(backend, tracer, spec, flags, exclude) do
    t = %__MODULE__{backend: backend, tracer: tracer, spec: spec, flags: flags, exclude: exclude}

    case backend do
      :session -> %{t | session: apply(:trace, :session_create, [:otpscope, tracer, []])}
      :legacy -> t
    end
  end

  @doc "The pid hash below which a process is in a sample of `rate` (nil for 1.0: all)."
  def sample_threshold(rate) when rate >= 1.0, do: nil
  def sample_threshold(rate), do: max(round(rate * 134_217_728), 1)

  @doc "Records only the processes in the sample below `threshold` (see Otpscope.Tracer)."
  def sample(%__MODULE__{} = t, threshold), do: %{t | sample: threshold}

  @doc """
  Adds a process to a list of chosen ones (`processes:` names: the next
  holder of a name) and switches its flags on (unless it is outside the
  sample).
  """
  def add(%__MODULE__{spec: spec} = t, pid) when is_list(spec) do
    t = add_chosen(t, pid)
    if t.sample == nil or Otpscope.Tracer.in_sample?(pid, t.sample), do: flag(t, pid, true)
    t
  end

  @doc "The same, for the tracer's copy (the flags are already on)."
  def add_chosen(%__MODULE__{spec: spec} = t, pid) when is_list(spec),
    do: if(pid in spec, do: t, else: %{t | spec: spec ++ [pid]})

  @doc "Removes the flags of one process (a new one outside the sample)."
  def forget(%__MODULE__{} = t, pid), do: flag(t, pid, false)

  @doc """
  Stops tracing the calls of one process (its other flags stay), also
  across suspend/1 and resume/1 once the struct that resumes has it
  (keep_calls_off/2): a flag of that process alone, so no trace pattern
  changes (a pattern change waits for every scheduler to pass a code
  barrier, which under load took ~55 s). It waits for the process's
  locks (28 s once, under load, while it copied 16 MB states), so the
  tracer leaves it to the controller.
  """
  def drop_calls(%__MODULE__{} = t, pid) do
    flag(%{t | flags: [:call]}, pid, false)
    keep_calls_off(t, pid)
  end

  @doc "Marks `pid` as one whose calls resume/1 must not trace again."
  def keep_calls_off(%__MODULE__{} = t, pid), do: %{t | no_call: MapSet.put(t.no_call, pid)}

  @doc "Switches the process flags on."
  def enable(%__MODULE__{} = t) do
    set_processes(t, true)
    t
  end

  @doc "Sets a call trace pattern and remembers it (with its match spec) for disable/1 and patterns_of/2."
  def pattern(%__MODULE__{} = t, mfa, ms, flags) do
    n = set_pattern(t, mfa, ms, flags)
    p = {mfa, ms, flags}
    {n, if(p in t.patterns, do: t, else: %{t | patterns: [p | t.patterns]})}
  end

  defp set_pattern(t, mfa, ms, flags) do
    case t.backend do
      :session -> apply(:trace, :function, [t.session, mfa, ms, flags])
      :legacy -> :erlang.trace_pattern(mfa, ms, flags)
    end
  end

  # The match spec of the patterns new code gets at load while the
  # code-loading watch is on: the callbacks' own (exception_trace), with a
  # guard that is always true so that a function still carrying it is told
  # apart from the patterns set on purpose (ours and other tools').
  @on_load_ms [{:_, [true], [{:exception_trace}]}]
  @prepare {:erlang, :prepare_loading, 2}

  @doc "Is code loading free to watch (watch_loads/2)? Always on OTP 27+."
  def loads_free?(:session), do: true

  def loads_free?(:legacy) do
    :erlang.trace_info(:on_load, :traced) == {:traced, false} and
      :erlang.trace_info(@prepare, :meta) == {:meta, false}
  end

  @doc """
  The code-loading watch. A module loaded while recorded (compiled in the
  shell, `Code.compile_string`, a hot code load, a module of no loaded
  application) has no trace pattern: one set on its functions after the
  load may come after its process's `init/1` has run. So every module
  loaded from now on gets, at load, the callbacks' pattern on all its
  functions (`on_load`, `local`: see narrow/3), and `controller` is told of each load
  by a meta pattern on `erlang:prepare_loading/2` (an Erlang function
  that every load calls with the module's name, before the code server
  finishes it): once the new code is in place (broad?/2) it narrows the
  module to its callbacks (narrow/3), or to nothing. A meta pattern traces
  every process, whatever its flags; on OTP 27+ it lives in a session of
  its own whose tracer is `controller`, and the `on_load` pattern in ours.
  Not `erlang:finish_loading/1`, which would tell when: it is a BIF that
  waits for the code to be committed, and traced (with `return_trace`) it
  let the code server answer before, so that the loading process found
  the module loaded and its functions undefined. `{:ok, t}`, or
  `{:error, :busy}` on OTP < 27 when another tool holds the `on_load`
  pattern or a meta pattern on `erlang:prepare_loading/2` (one of each per
  node).
  """
  def watch_loads(%__MODULE__{} = t, controller) do
    case t.backend do
      :session ->
        s = apply(:trace, :session_create, [:otpscope_loads, controller, []])
        apply(:trace, :function, [s, @prepare, [{:_, [], []}], [:meta]])
        apply(:trace, :function, [t.session, :on_load, @on_load_ms, [:local]])
        {:ok, %{t | loads_session: s, loads: true}}

      :legacy ->
        if loads_free?(:legacy) do
          :erlang.trace_pattern(@prepare, [{:_, [], []}], [{:meta, controller}])
          :erlang.trace_pattern(:on_load, @on_load_ms, [:local])
          {:ok, %{t | loads: true}}
        else
          {:error, :busy}
        end
    end
  end

  @doc "Does `mod`'s loaded code still carry the patterns it got at load (watch_loads/2)?"
  def broad?(%__MODULE__{} = t, mod) do
    info =
      case t.backend do
        :session -> apply(:trace, :info, [t.session, {mod, :module_info, 0}, :match_spec])
        :legacy -> :erlang.trace_info({mod, :module_info, 0}, :match_spec)
      end

    info == {:match_spec, @on_load_ms}
  catch
    _, _ -> false
  end

  @doc """
  Narrows a module loaded while recorded (broad?/2) to `keep`, the
  `{mfa, ms, flags}` patterns it should have (its callbacks', those set
  earlier on its previous code): those are set first, then the pattern is
  taken off the module's other functions, one by one (a code barrier
  each), so that no callback goes untraced meanwhile; with nothing to
  keep, off the whole module at once (one code barrier).

  All `local`: the pattern at load and those kept. A `global` pattern
  lives in the function's export entry, and on OTP 25 taking one off a
  module within a millisecond or so of its load (as the narrowing does)
  let the process that had asked for the load find the function undefined
  (`Module.LocalsTracker.collect_unused_locals/3` raised an
  UndefinedFunctionError in a script defining a module right after
  `Otpscope.start`); a `local` one lives in the function's code, and
  setting and taking it off leaves the export entries alone.
  """
  def narrow(%__MODULE__{} = t, mod, []) do
    set_pattern(t, {mod, :_, :_}, false, [:local])
    t
  catch
    _, _ -> t
  end

  def narrow(%__MODULE__{} = t, mod, keep) do
    t =
      Enum.reduce(keep, t, fn {mfa, ms, _flags}, t ->
        {_n, t} = pattern(t, mfa, ms, [:local])
        t
      end)

    kept = fn f, a ->
      Enum.any?(keep, fn {{_, kf, ka}, _, _} -> kf in [:_, f] and ka in [:_, a] end)
    end

    for {f, a} <- mod.module_info(:functions),
        not kept.(f, a),
        do: set_pattern(t, {mod, f, a}, false, [:local])

    t
  catch
    _, _ -> t
  end

  @doc "The patterns set so far on `mod`'s functions ({mfa, ms, flags}), to set again on its new code."
  def patterns_of(%__MODULE__{} = t, mod), do: for({{^mod, _, _}, _, _} = p <- t.patterns, do: p)

  @doc """
  Removes every flag and pattern this recording set, and nothing else.
  Flags first: each pattern change waits for a code barrier, and while the
  patterns went one by one with the flags still on, a busy GenServer was
  recorded receiving its last requests with no callback taking them.

  A trace session (OTP 27+) takes its flags and patterns with it at once:
  removing them one by one first cost a code barrier per pattern, 13 s for a
  recording of every process on a busy node (docs/PERFORMANCE.md).
  """
  def disable(%__MODULE__{backend: :session} = t) do
    unwatch_loads(t)

    try do
      # flags first, all at once (this session's only), then the patterns
      apply(:trace, :process, [t.session, :all, false, t.flags])
      apply(:trace, :session_destroy, [t.session])
    catch
      _, _ -> :ok
    end

    :ok
  end

  def disable(%__MODULE__{} = t) do
    # no new module gets patterns, and the controller hears of no load, from now on
    unwatch_loads(t)
    set_processes(t, false)
    remove_patterns(t)

    # the modules loaded too late to be narrowed (their loads' messages
    # still queued for the controller): on OTP < 27 nothing else would
    # take their patterns off (a session takes its patterns with it)
    if t.loads and t.backend == :legacy do
      for mod <- :erlang.loaded(), broad?(t, mod), do: narrow(t, mod, [])
    end

    if t.backend == :session do
      try do
        apply(:trace, :session_destroy, [t.session])
      catch
        _, _ -> :ok
      end
    end

    :ok
  end

  # Each trace_pattern call waits for a code barrier (every scheduler passes
  # one), so on a busy node stopping cost one wait per pattern: a recording
  # of every process (the callbacks of every GenServer module) took over
  # 25 s to stop on OTP 25. So patterns go off by the widest spec that
  # takes nothing of another tool's: a call for `{m, :_, :_}` (or `{:_, :_,
  # :_}`) and a flag list touches only the functions that carry a pattern
  # of those flags, so it is the same as taking ours off one by one when no
  # other function of the module (of any loaded module) has a call pattern.
  # Whether one has is read from `traced`, which waits for nothing; meta and
  # call count patterns are other flags, untouched. A module loaded too late
  # to be narrowed (broad?/2) carries only ours. Node-wide when nothing else
  # is call-traced (one call per flag list); else by module; else, in a
  # module where another tool traces a function of its own, one by one.
  defp remove_patterns(t) do
    by_mod = Enum.group_by(t.patterns, fn {{m, _, _}, _, _} -> m end)

    broad =
      if t.loads,
        do: Enum.filter(:erlang.loaded(), &broad?(t, &1)),
        else: []

    flag_lists =
      Enum.uniq(
        for({_, _, flags} <- t.patterns, do: flags) ++ if(broad == [], do: [], else: [[:local]])
      )

    broad = MapSet.new(broad)

    # reading every loaded function's `traced` (~30k functions: 50-150 ms)
    # costs about as much as a dozen code barriers under load
    node_wide? =
      map_size(by_mod) + MapSet.size(broad) >= 16 and
        Enum.all?(:erlang.loaded(), fn m ->
          MapSet.member?(broad, m) or only_ours?(m, Map.get(by_mod, m, []))
        end)

    if node_wide? do
      for flags <- flag_lists, do: unset_pattern(t, {:_, :_, :_}, flags)
    else
      for {m, ps} <- by_mod do
        if only_ours?(m, ps) do
          for flags <- Enum.uniq(for {_, _, flags} <- ps, do: flags),
              do: unset_pattern(t, {m, :_, :_}, flags)
        else
          for {mfa, _ms, flags} <- ps, do: unset_pattern(t, mfa, flags)
        end
      end
    end

    :ok
  end

  defp only_ours?(m, ps) do
    ours? = fn f, a ->
      Enum.any?(ps, fn {{_, pf, pa}, _, _} -> pf in [:_, f] and pa in [:_, a] end)
    end

    Enum.all?(module_functions(m), fn {f, a} ->
      ours?.(f, a) or pattern_free?(:legacy, {m, f, a})
    end)
  end

  # (not m.module_info/1: a call of the module, itself traced by a pattern on it)
  defp module_functions(m) do
    :erlang.get_module_info(m, :functions)
  catch
    _, _ -> []
  end

  defp unset_pattern(t, mfa, flags) do
    set_pattern(t, mfa, false, flags)
  catch
    _, _ -> :ok
  end

  defp unwatch_loads(%{loads: false}), do: :ok

  defp unwatch_loads(%{backend: :session} = t) do
    apply(:trace, :function, [t.session, :on_load, false, [:local]])
    apply(:trace, :session_destroy, [t.loads_session])
  catch
    _, _ -> :ok
  end

  defp unwatch_loads(%{backend: :legacy}) do
    :erlang.trace_pattern(:on_load, false, [:local])
    :erlang.trace_pattern(@prepare, false, [:meta])
  catch
    _, _ -> :ok
  end

  @doc """
  Turns process flags off during an overload, those of the processes in
  `first` (the flooding ones) before the others. Returns what resume/2
  needs: with `processes: :new`, the processes whose flags it turned off
  (those spawned since the start), which nothing else can tell apart from
  the processes that ran before.
  """
  def suspend(%__MODULE__{} = t, first \\ []) do
    pids = if t.spec == :new, do: Enum.filter(Process.list() -- t.exclude, &traced?(t, &1))
    set_processes(t, false, first)
    pids || []
  end

  @doc "Turns process flags back on after suspend/1, given what it returned."
  def resume(%__MODULE__{} = t, suspended \\ []), do: set_processes(t, true, [], suspended)

  defp set_processes(t, on?, first \\ [], suspended \\ []) do
    if t.spec in [:all, :new], do: flag(t, :new, on?)

    pids =
      cond do
        on? and t.spec == :all -> Process.list() -- t.exclude
        on? and t.spec == :new -> suspended
        on? -> t.spec
        # Switching off: processes spawned meanwhile carry our flags too. On
        # the legacy backend only processes whose tracer is ours are touched,
        # so flags another tool set stay.
        t.spec in [:all, :new] -> Process.list() -- t.exclude
        true -> t.spec
      end

    pids =
      if on? and t.sample,
        do: Enum.filter(pids, &Otpscope.Tracer.in_sample?(&1, t.sample)),
        else: pids

    pids = if first == [], do: pids, else: first_of(pids, first)

    Enum.each(pids, fn pid ->
      if on? and MapSet.member?(t.no_call, pid),
        do: flag(%{t | flags: t.flags -- [:call]}, pid, on?),
        else: flag(t, pid, on?)
    end)
  end

  defp first_of(pids, first) do
    all = MapSet.new(pids)
    first = Enum.filter(first, &MapSet.member?(all, &1))
    first ++ (pids -- first)
  end

  defp legacy_who(:new), do: :new_processes
  defp legacy_who(pid), do: pid

  # Whether `pid` has flags of this recording.
  defp traced?(%{backend: :session} = t, pid) do
    match?({:flags, [_ | _]}, apply(:trace, :info, [t.session, pid, :flags]))
  catch
    _, _ -> false
  end

  defp traced?(t, pid), do: ours?(t, pid)

  defp ours?(t, pid) do
    match?({:tracer, tracer} when tracer == t.tracer, :erlang.trace_info(pid, :tracer))
  end

  # `:new` is new processes: the session's :trace.process/4 traces no ports, and
  # on the legacy backend :erlang.trace(:new, ...) would trace every port opened
  # after the start too (its sends and receives), so there it is :new_processes.
  defp flag(t, who, on?) do
    try do
      case t.backend do
        :session ->
          apply(:trace, :process, [t.session, who, on?, t.flags])

        :legacy when on? ->
          :erlang.trace(legacy_who(who), true, [{:tracer, t.tracer} | t.flags])

        :legacy ->
          if who == :new or ours?(t, who), do: :erlang.trace(legacy_who(who), false, t.flags)
      end
    catch
      # the process exited meanwhile
      :error, :badarg -> 0
    end
  end
end

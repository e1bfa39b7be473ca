defmodule Otpscope.Facts do
  @moduledoc false
  # Process facts and supervision trees (docs/FORMAT.md "Fact entries").
  # Everything here reads process info from outside; the only messages sent
  # are supervisor which_children calls, made from a helper process with a
  # deadline so a stuck supervisor cannot stall the recorder.

  @doc "Facts for each live pid in `pids` (dead ones are skipped)."
  def processes(pids) do
    parent? = parent_supported?()
    names = other_names(pids)

    items =
      [:registered_name, :initial_call, :dictionary, :status] ++
        if(parent?, do: [:parent], else: [])

    # (Not `dict_call = ...` as a comprehension filter: a process without
    # `$initial_call`, i.e. not started through proc_lib, would be filtered
    # out as nil. That lost :code_server and every plain spawn.)
    for pid <- pids,
        is_pid(pid),
        info = safe_info(pid, items),
        info != nil,
        dict = Keyword.get(info, :dictionary, []),
        {dict_call} = {dict_value(dict, :"$initial_call")},
        not recorder_process?(dict_call, Keyword.get(info, :initial_call)) do
      {behaviour, module} = behaviour(dict_call)

      %{
        pid: pid,
        registered_name: name(Keyword.get(info, :registered_name)),
        initial_call: Keyword.get(info, :initial_call),
        dictionary_initial_call: dict_call,
        ancestors: dict_value(dict, :"$ancestors") || [],
        behaviour: behaviour,
        module: module,
        names: Map.get(names, pid, []),
        label: label(dict),
        parent: parent(Keyword.get(info, :parent)),
        status: Keyword.get(info, :status)
      }
    end
  end

  @doc """
  The names the processes in `pids` are known by besides a registered
  name, pid => `[{:global, name} | {:via, Registry, {registry, key}}]`:
  their `:global` names, then their keys in unique Registries (each
  Registry's keys read with one select, or per process when the registry
  holds more keys than `pids` has processes), in term order within each.
  What a process reaches itself by in `GenServer.call/2` and what users
  search by (docs/FORMAT.md "Fact entries"). The cost is bounded by the
  names there are (global names, Registry keys) and by `pids`, never a
  call to another process.
  """
  def other_names(pids) do
    wanted = MapSet.new(pids)

    globals =
      for name <- global_names(),
          pid = global_whereis(name),
          is_pid(pid) and node(pid) == node() and MapSet.member?(wanted, pid),
          do: {pid, {:global, name}}

    keys =
      for reg <- unique_registries(),
          {key, pid} <- registry_keys(reg, pids, wanted),
          do: {pid, {:via, Registry, {reg, key}}}

    (Enum.sort(globals) ++ Enum.sort(keys))
    |> Enum.group_by(&elem(&1, 0), &elem(&1, 1))
  end

  defp global_names do
    if Process.whereis(:global_name_server), do: :global.registered_names(), else: []
  catch
    _, _ -> []
  end

  defp global_whereis(name) do
    :global.whereis_name(name)
  catch
    _, _ -> nil
  end

  # A unique Registry is a supervisor registered under the registry's name
  # (`$initial_call` {:supervisor, Registry.Supervisor, 1}) beside a named
  # ETS table of the same name whose key -2 holds `{kind, partitions, _}`
  # (Elixir's own layout, 1.4 to 1.18): read defensively, a registry whose
  # table looks otherwise is skipped.
  defp unique_registries do
    for name <- Process.registered(),
        :ets.whereis(name) != :undefined,
        registry_kind(name) == :unique,
        registry_supervisor?(Process.whereis(name)),
        do: name
  end

  defp registry_kind(name) do
    case :ets.lookup(name, -2) do
      [{-2, {kind, partitions, _}}] when is_integer(partitions) -> kind
      _ -> nil
    end
  catch
    _, _ -> nil
  end

  defp registry_supervisor?(pid) when is_pid(pid) do
    case safe_info(pid, [:dictionary]) do
      [dictionary: dict] ->
        dict_value(dict, :"$initial_call") == {:supervisor, Registry.Supervisor, 1}

      _ ->
        false
    end
  end

  defp registry_supervisor?(_), do: false

  defp registry_keys(reg, pids, wanted) do
    if Registry.count(reg) <= length(pids) do
      for {key, pid} <- Registry.select(reg, [{{:"$1", :"$2", :_}, [], [{{:"$1", :"$2"}}]}]),
          MapSet.member?(wanted, pid),
          do: {key, pid}
    else
      for pid <- pids, is_pid(pid), key <- Registry.keys(reg, pid), do: {key, pid}
    end
  catch
    _, _ -> []
  end

  @doc """
  The name a process spawned as `{m, f, args}` is started under, besides a
  registered name (whose `register` event is traced): `{:global, name}` or
  `{:via, module, name}` from a GenServer's, gen_statem's or supervisor's
  start (proc_lib's `:gen.init_it/7` arguments), a Registry's as
  `{:via, Registry, {registry, key}}` (a value given with the key left
  out); nil otherwise. The facts at stop of a process that exited before
  it name it by this.
  """
  def spawn_name(:proc_lib, :init_p, [_parent, _ancestors, :gen, :init_it, args]),
    do: gen_name(args)

  def spawn_name(_m, _f, _args), do: nil

  defp gen_name([_gen_mod, _starter, _parent, name, _mod, _args, _opts]), do: other_name(name)
  defp gen_name(_), do: nil

  defp other_name({:global, _} = name), do: name
  defp other_name({:via, Registry, {reg, key, _value}}), do: {:via, Registry, {reg, key}}
  defp other_name({:via, mod, _} = name) when is_atom(mod), do: name
  defp other_name(_), do: nil

  @doc """
  The functions that give a process a `:global` name or a Registry key
  after its start, call-traced (with their returns) so that a process that
  takes such a name and loses it before the recording stops keeps it in
  the facts at stop (docs/FORMAT.md "Fact entries"): the name is read from
  the call's arguments and kept when the return says it was taken
  (naming_call/3, naming_return/2; Otpscope.Writer pairs them per
  process). `:global.register_name/2` calls `register_name/3` locally, and
  `Registry.register_name/2` (the `{:via, Registry, _}` callback) calls
  `register/3` locally: a global pattern sees only the outer call.
  """
  def naming_functions,
    do: [
      {:global, :register_name, 2},
      {:global, :register_name, 3},
      {:global, :re_register_name, 2},
      {:global, :re_register_name, 3},
      {Registry, :register, 3},
      {Registry, :register_name, 2}
    ]

  @doc """
  The fact of a call to one of naming_functions/0 by `caller`:
  `{:naming, caller, holder, name}`, `holder` the process the name is for
  and `name` as other_names/1 gives it; `holder` and `name` nil when the
  arguments do not tell (cut to the term limits): the fact still pairs
  with its return.
  """
  def naming_call(caller, {:global, _, _}, [name, pid | _]) when is_pid(pid),
    do: {:naming, caller, pid, {:global, name}}

  def naming_call(caller, {Registry, :register, 3}, [reg, key, _value]) when is_atom(reg),
    do: {:naming, caller, caller, {:via, Registry, {reg, key}}}

  def naming_call(caller, {Registry, :register_name, 2}, [{reg, key}, pid])
      when is_atom(reg) and is_pid(pid),
      do: {:naming, caller, pid, {:via, Registry, {reg, key}}}

  def naming_call(caller, {Registry, :register_name, 2}, [{reg, key, _value}, pid])
      when is_atom(reg) and is_pid(pid),
      do: {:naming, caller, pid, {:via, Registry, {reg, key}}}

  def naming_call(caller, _mfa, _args), do: {:naming, caller, nil, nil}

  @doc """
  The fact of the return of such a call in `caller`: `{:named, caller,
  taken?}`; an exception (`value` :exception) took no name.
  """
  def naming_return(caller, :yes), do: {:named, caller, true}
  def naming_return(caller, {:ok, owner}) when is_pid(owner), do: {:named, caller, true}
  def naming_return(caller, _value), do: {:named, caller, false}

  @doc """
  Whether a name taken is one other_names/1 would list: a `:global` name
  of a process of this node, or a key in a unique Registry. `kinds` caches
  each Registry's kind (read once from its table); `{name?, kinds}`.
  """
  def name_kept?({:global, _}, holder, kinds), do: {node(holder) == node(), kinds}

  def name_kept?({:via, Registry, {reg, _key}}, _holder, kinds) do
    case kinds do
      %{^reg => kind} ->
        {kind == :unique, kinds}

      _ ->
        kind = registry_kind(reg)
        {kind == :unique, Map.put(kinds, reg, kind)}
    end
  end

  def name_kept?(_name, _holder, kinds), do: {false, kinds}

  # The recorder's own processes (recorder, writer, encoders, CLI helpers) are
  # not part of the system being recorded: they stay out of the facts.
  defp recorder_process?(dict_call, initial_call) do
    Enum.any?([dict_call, initial_call], fn
      {m, _, _} when is_atom(m) -> Otpscope.Callbacks.own?(m)
      _ -> false
    end)
  end

  @doc """
  The struct modules loaded on the node that `inspect/1` prints as
  `%Mod{...}` (their Inspect implementation is `Inspect.Any`), each
  `%{module: mod, fields: [field]}` with the fields in definition order
  (`Mod.__info__(:struct)`): what a reader needs to print a struct as the
  node does (docs/FORMAT.md "Fact entries"). Structs with an Inspect
  implementation of their own are left out: their text cannot be made
  without their code.
  """
  def structs, do: elem(structs(%{}), 0)

  @doc """
  `structs/0` with what an earlier call found (`known`: module => fields, or
  nil for a module that is no struct `inspect/1` prints as such), returning
  `{structs, known}`. Only modules not looked at before are: on a node whose
  protocols are not consolidated (`elixir script.exs`, `iex` without a
  project), `Inspect.impl_for/1` of a struct with no implementation searches
  the whole code path for one, and loading a module asks the code server
  and the loader: a few hundred messages per module, which a dump made while
  recording would record (and which could push the window's own events out
  of an `{n, :events}` window). `scan`: application_modules/1's answer, when
  the caller has just read it (the recording's start).
  """
  def structs(known, scan \\ nil) do
    known = load_struct_modules_of_applications(known, scan)

    known =
      for {mod, _} <- :code.all_loaded(),
          not is_map_key(known, mod),
          function_exported?(mod, :__struct__, 0),
          function_exported?(mod, :__info__, 1),
          into: known,
          do: {mod, inspect_any_fields(mod)}

    {for({mod, fields} <- known, fields != nil, do: %{module: mod, fields: fields}), known}
  end

  @doc """
  The modules of the loaded applications that are not loaded yet, each
  `{mod, behaviour, struct}` (`module_behaviour/1`'s answer; for an Elixir
  module exporting `__struct__/0`, `{:fields, fields}` from its debug info,
  or `true` when the beam has none, else false), read from their beam files
  without loading them, leaving out those in `known` (structs/2's map).
  One pass serves both the struct list and the callback modules to trace:
  in interactive mode (`mix run`, `iex -S mix`, `erl`) a module loads on its
  first call, and a GenServer's module loaded after tracing began had its
  `init/1` and first callbacks untraced.

  The beams are read with `:prim_file` from the application's `ebin`
  directory: no message to the code server or the loader, so nothing a
  recording would record, and no search of the code path per module
  (`:code.which/1` of a module not loaded lists every directory of the path:
  7.8 s for 2,337 modules on OTP 25 on a loaded machine, against 0.3-0.7 s read
  this way).
  """
  def application_modules(known \\ %{}) do
    for {app, _, _} <- :application.loaded_applications(),
        {:ok, mods} = :application.get_key(app, :modules),
        # (in a tuple: a nil ebin as a comprehension's filter would skip the application)
        {ebin} = {ebin(app)},
        mod <- mods,
        not is_map_key(known, mod),
        not :erlang.module_loaded(mod),
        info = beam_info(mod, ebin),
        info != nil,
        do: info
  end

  defp ebin(app) do
    case :code.lib_dir(app) do
      dir when is_list(dir) -> Path.join(List.to_string(dir), "ebin")
      _ -> nil
    end
  end

  defp beam_info(mod, ebin) do
    with {:ok, beam} <- read_beam(mod, ebin),
         # (a stripped beam, as `mix release`'s strip_beams writes it, has no attributes)
         {:ok, {_, [exports: exports, attributes: attrs]}} <-
           :beam_lib.chunks(beam, [:exports, :attributes], [:allow_missing_chunks]) do
      attrs = if is_list(attrs), do: attrs, else: []

      struct =
        {:__struct__, 0} in exports and String.starts_with?(Atom.to_string(mod), "Elixir.") and
          struct_fields(beam)

      {mod, behaviour_of(attrs, &({&1, &2} in exports)), struct}
    else
      _ -> nil
    end
  end

  # A struct's fields in definition order, as `__info__(:struct)` gives them,
  # from the Elixir debug info (its `:struct` key, Elixir 1.14 to 1.18 at
  # least), so the module need not be loaded: loading 200 struct modules took
  # 58 ms on OTP 25 and 141 ms on OTP 27, reading them 8 and 12 ms, and a
  # load while recording (a dump) is the code server's and the loader's
  # messages in the recording. `true` when the beam has no such debug info
  # (stripped): the module is loaded to ask it.
  defp struct_fields(beam) do
    case :beam_lib.chunks(beam, [:debug_info]) do
      {:ok,
       {_, [debug_info: {:debug_info_v1, :elixir_erl, {:elixir_v1, %{struct: [_ | _] = fs}, _}}]}} ->
        {:fields, for(%{field: field} <- fs, do: field)}

      _ ->
        true
    end
  end

  # The application's ebin first; a module elsewhere on the path (an
  # application spread over directories) is looked up the slow way.
  defp read_beam(mod, ebin) do
    with dir when is_binary(dir) <- ebin,
         {:ok, _} = found <- :prim_file.read_file(Path.join(dir, "#{mod}.beam")) do
      found
    else
      _ ->
        case :code.which(mod) do
          path when is_list(path) -> {:ok, path}
          _ -> :error
        end
    end
  end

  # A struct module is often never loaded on a node in interactive mode (`mix
  # run`, `iex -S mix`, `mix otpscope.record`): `%Mod{}` is expanded at compile
  # time and builds a plain map, so nothing calls the module, yet inspect/1 on
  # the node loads it and prints `%Mod{...}`. The Elixir modules of the loaded
  # applications that are not loaded yet and export `__struct__/0` (read from
  # their beam files, without loading them: application_modules/1, or `scan`,
  # its answer at the recording's start) are listed with the fields their
  # debug info gives, or loaded here when it gives none. A release in
  # embedded mode has them all loaded already. Those found to be no struct
  # are `known` as nil, so they are not read again.
  defp load_struct_modules_of_applications(known, scan) do
    scan =
      for {mod, _, _} = info <- scan || application_modules(known),
          not is_map_key(known, mod),
          do: info

    # loaded together (the code server reads and prepares them in parallel):
    # only those whose fields the debug info did not give
    :code.ensure_modules_loaded(for {mod, _, true} <- scan, do: mod)

    for {mod, _, struct} <- scan,
        not (struct == true and :erlang.module_loaded(mod)),
        into: known,
        do: {mod, inspect_any(mod, struct)}
  end

  # The fields when inspect/1 prints a `mod` struct as `%Mod{...}` (its
  # Inspect implementation is Inspect.Any, which impl_for/1 tells from the
  # `__struct__` key alone), else nil.
  defp inspect_any(_mod, struct) when not is_tuple(struct), do: nil

  defp inspect_any(mod, {:fields, fields}) do
    if Inspect.impl_for(%{__struct__: mod}) == Inspect.Any, do: fields
  rescue
    _ -> nil
  end

  defp inspect_any_fields(mod) do
    if Inspect.impl_for(mod.__struct__()) == Inspect.Any,
      do: for(%{field: field} <- mod.__info__(:struct), do: field)
  rescue
    _ -> nil
  end

  @doc """
  `{behaviour, callback_module}` from a `$initial_call`: gen_server and
  gen_statem processes started through proc_lib record `{Mod, :init, 1}`,
  supervisors `{:supervisor, Mod, 1}`, supervisor_bridges
  `{:supervisor_bridge, Mod, 1}` (proc_lib's translation: `Mod` is the
  callback module in both, the gen_server module is OTP's own).
  """
  def behaviour({:supervisor, mod, 1}), do: {:supervisor, mod}
  def behaviour({:supervisor_bridge, mod, 1}) when is_atom(mod), do: {:supervisor_bridge, mod}
  def behaviour({mod, :init, 1}) when is_atom(mod), do: {module_behaviour(mod), mod}
  def behaviour(_), do: {nil, nil}

  @doc """
  The `$initial_call` a process spawned as `{m, f, args}` gives itself, as
  far as its spawn tells; nil when it tells no more than `{m, f,
  length(args)}`. For the processes that exit before the recording stops,
  whose dictionary cannot be read then (`$initial_call` is what observer
  and `:proc_lib.translate_initial_call/1` show):

    * `:proc_lib.init_p/3,5` (every proc_lib spawn: GenServer, Supervisor,
      gen_statem, Task on Elixir < 1.15) puts proc_lib's translation of the
      function it runs: `{Mod, :init, 1}` for a gen_server or gen_statem,
      `{:supervisor, Mod, 1}` for a supervisor (`Mod` its callback module),
      the fun's `{m, f, a}` for a fun (proc_lib's rules, trans_init/3);
    * an Elixir Task replaces it by its own function's (`$initial_call` of
      Task.Supervised) once it knows that function: at once when it is among
      the spawn's arguments (Task.start/1,3, Task.start_link/1,3,
      Task.Supervisor.start_child); a Task.async/1,3 gets its function in a
      message after the spawn (see task_initial_call/1).

  `args` may have been cut to the term limits (a list as `{:"$truncated",
  :list, length, first}`): the arity is the length it had.
  """
  def spawn_initial_call(:proc_lib, :init_p, [_parent, _ancestors, fun]) when is_function(fun),
    do: :erlang.fun_info_mfa(fun)

  def spawn_initial_call(:proc_lib, :init_p, [_parent, _ancestors, m, f, args])
      when is_atom(m) and is_atom(f),
      do: task_spawn(m, f, args) || trans_init(m, f, args)

  def spawn_initial_call(m, f, args) when is_atom(m) and is_atom(f), do: task_spawn(m, f, args)
  def spawn_initial_call(_m, _f, _args), do: nil

  @doc """
  The `$initial_call` a Task.async/1,3 process gives itself when it
  receives `msg` as its first message (`{owner, ref, reply_to, callers,
  mfa}`, Task.Supervised.reply), or nil.
  """
  def task_initial_call({owner, ref, _reply_to, callers, mfa})
      when is_pid(owner) and is_reference(ref) and is_list(callers),
      do: task_mfa(mfa)

  def task_initial_call(_msg), do: nil

  # Task.Supervised.noreply(owner, ..., mfa): the function is the last
  # argument (3 arguments on Elixir 1.14, 4 on 1.15+).
  defp task_spawn(Task.Supervised, :noreply, args) when is_list(args) and args != [],
    do: task_mfa(List.last(args))

  defp task_spawn(_m, _f, _args), do: nil

  # Task.Supervised.get_initial_call/1
  defp task_mfa({:erlang, :apply, [fun, []]}) when is_function(fun, 0),
    do: :erlang.fun_info_mfa(fun)

  defp task_mfa({m, f, args}) when is_atom(m) and is_atom(f), do: arity(m, f, args)
  defp task_mfa(_), do: nil

  # proc_lib's trans_init/3 (OTP 25-27)
  defp trans_init(:gen, :init_it, [:gen_server, _, _, :supervisor, {_, mod, _}, _]),
    do: {:supervisor, mod, 1}

  defp trans_init(:gen, :init_it, [:gen_server, _, _, _, :supervisor, {_, mod, _}, _]),
    do: {:supervisor, mod, 1}

  defp trans_init(:gen, :init_it, [:gen_server, _, _, :supervisor_bridge, [mod | _], _]),
    do: {:supervisor_bridge, mod, 1}

  defp trans_init(:gen, :init_it, [:gen_server, _, _, _, :supervisor_bridge, [mod | _], _]),
    do: {:supervisor_bridge, mod, 1}

  defp trans_init(:gen, :init_it, [:gen_event | _]), do: {:gen_event, :init_it, 6}

  defp trans_init(:gen, :init_it, [_gen_mod, _, _, mod, _, _]) when is_atom(mod),
    do: {mod, :init, 1}

  defp trans_init(:gen, :init_it, [_gen_mod, _, _, _, mod | _]) when is_atom(mod),
    do: {mod, :init, 1}

  defp trans_init(m, f, args), do: arity(m, f, args)

  defp arity(m, f, args) when is_list(args), do: {m, f, length(args)}
  defp arity(m, f, {:"$truncated", :list, n, _}) when is_integer(n), do: {m, f, n}
  defp arity(_m, _f, _args), do: nil

  @doc "`:gen_server`, `:gen_statem`, `:gen_event`, `:supervisor` or nil."
  def module_behaviour(mod) do
    attrs =
      try do
        mod.module_info(:attributes)
      rescue
        _ -> []
      end

    behaviour_of(attrs, &function_exported?(mod, &1, &2))
  end

  # From the module's attributes and whether it exports f/a.
  defp behaviour_of(attrs, exported?) do
    declared = Keyword.get_values(attrs, :behaviour) ++ Keyword.get_values(attrs, :behavior)
    declared = List.flatten(declared)

    cond do
      :gen_statem in declared -> :gen_statem
      :supervisor in declared or Supervisor in declared -> :supervisor
      :gen_server in declared or GenServer in declared -> :gen_server
      :gen_event in declared -> :gen_event
      exported?.(:callback_mode, 0) -> :gen_statem
      exported?.(:handle_call, 3) -> :gen_server
      true -> nil
    end
  end

  @doc "Supervision trees of the running applications that have a top supervisor."
  def trees(timeout \\ 2_000) do
    parent = self()
    ref = make_ref()

    {pid, mref} =
      spawn_monitor(fn ->
        send(parent, {ref, collect_trees()})
      end)

    receive do
      {^ref, trees} ->
        Process.demonitor(mref, [:flush])
        trees

      {:DOWN, ^mref, _, _, _} ->
        []
    after
      timeout ->
        Process.exit(pid, :kill)
        []
    end
  end

  defp collect_trees do
    for {app, _desc, _vsn} <- Application.started_applications(),
        master = :application_controller.get_master(app),
        is_pid(master),
        {top, mod} = top_supervisor(master),
        is_pid(top) do
      %{
        application: app,
        pid: top,
        name: name(Process.info(top, :registered_name)),
        module: mod,
        type: :supervisor,
        children: children(top, 0)
      }
    end
  end

  defp top_supervisor(master) do
    try do
      :application_master.get_child(master)
    catch
      _, _ -> {nil, nil}
    end
  end

  defp children(_sup, depth) when depth > 20, do: []

  defp children(sup, depth) do
    try do
      for {id, pid, type, mods} <- :supervisor.which_children(sup) do
        %{
          id: id,
          pid: pid,
          type: type,
          module: module(mods),
          children:
            if(type == :supervisor and is_pid(pid), do: children(pid, depth + 1), else: [])
        }
      end
    catch
      _, _ -> []
    end
  end

  defp module([mod | _]) when is_atom(mod), do: mod
  defp module(_), do: nil

  defp safe_info(pid, items) do
    try do
      Process.info(pid, items)
    rescue
      _ -> nil
    end
  end

  defp parent_supported? do
    Process.info(self(), [:parent])
    true
  rescue
    _ -> false
  end

  # proc_lib:set_label/1 (OTP 27+) keeps the label in the dictionary, which
  # is read anyway: proc_lib:get_label/1 would read it a second time.
  defp label(dict), do: dict_value(dict, :"$process_label")

  defp dict_value(dict, key) do
    case List.keyfind(dict, key, 0) do
      {^key, v} -> v
      nil -> nil
    end
  end

  defp name({:registered_name, name}) when is_atom(name), do: name
  defp name(name) when is_atom(name) and name not in [nil, []], do: name
  defp name(_), do: nil

  defp parent(:undefined), do: nil
  defp parent(pid) when is_pid(pid), do: pid
  defp parent(_), do: nil
end

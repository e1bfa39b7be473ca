defmodule Otpscope.Lines do
  @moduledoc false
  # Line-level binding snapshots (option `lines:`, docs/FORMAT.md kind 13).
  #
  # For each chosen module the recorder rebuilds the module from its
  # debug_info (the Erlang abstract code, which Elixir modules carry by
  # default) with one call inserted before every expression of a function
  # body, and of the bodies of `case`, `receive`, `if` and `try` clauses
  # within it:
  #
  #     Otpscope.Lines.snap({mod, fun, arity}, line, [name: value, ...])
  #
  # with the variables bound at that point: the clause's parameters and
  # what the matches before it bound. `snap/3` does nothing; the recorder
  # call-traces it, so a snapshot is an ordinary trace message and goes
  # through the tracer's rate limits, memory bounds and term cuts like any
  # other event. Nothing is evaluated that the code did not evaluate
  # already, and the value of each body is unchanged (the inserted call
  # comes before an expression, never last).
  #
  # The instrumented module is hot-loaded for the recording only; at stop
  # the original object code is loaded back. This changes the code that
  # runs on the node, so it happens only for the modules named in `lines:`,
  # and not at all for a module whose old code some process still runs
  # (loading would need a purge that kills it).

  @doc "Called by instrumented code; the recorder traces the calls. Does nothing."
  def snap(_mfa, _line, _bindings), do: :ok

  @doc """
  Loads an instrumented version of each `{module, function | :_, arity | :_}`
  target (grouped by module). Returns `{:ok, restore}` (what `restore/1`
  needs) or `{:error, message}` (nothing changed then).
  """
  def instrument(targets) do
    by_mod = Enum.group_by(targets, &elem(&1, 0))

    Enum.reduce_while(by_mod, {:ok, []}, fn {mod, specs}, {:ok, done} ->
      case instrument_module(mod, specs) do
        {:ok, original} ->
          {:cont, {:ok, [original | done]}}

        {:error, message} ->
          restore(done)
          {:halt, {:error, message}}
      end
    end)
  end

  @doc "Loads the original object code back. Returns the modules it could not restore."
  def restore(originals) do
    for {mod, filename, bin} <- originals,
        not restore_one(mod, filename, bin),
        do: mod
  end

  defp restore_one(mod, filename, bin) do
    # The original is the old code now; purging it must not kill anyone.
    :code.soft_purge(mod) and match?({:module, ^mod}, :code.load_binary(mod, filename, bin))
  end

  defp instrument_module(mod, specs) do
    with {:ok, {^mod, bin, filename}} <- object_code(mod),
         {:ok, forms} <- forms(mod, bin),
         :ok <- no_on_load(mod, forms),
         forms = transform(forms, mod, specs),
         {:ok, new_bin} <- compile(mod, forms, mod.module_info(:compile)[:source]),
         :ok <- purge_old(mod),
         {:module, ^mod} <- :code.load_binary(mod, filename, new_bin) do
      {:ok, {mod, filename, bin}}
    else
      {:error, message} when is_binary(message) -> {:error, message}
      other -> {:error, "lines: cannot load an instrumented #{inspect(mod)}: #{inspect(other)}"}
    end
  end

  defp object_code(mod) do
    with {:module, ^mod} <- Code.ensure_loaded(mod),
         {^mod, bin, filename} <- :code.get_object_code(mod),
         :ok <- same_as_loaded(mod, bin) do
      {:ok, {mod, bin, filename}}
    else
      {:error, message} ->
        {:error, message}

      _ ->
        {:error,
         "lines: no object code for #{inspect(mod)} on the code path " <>
           "(a module compiled in memory cannot be instrumented)"}
    end
  end

  # The .beam on the code path is what gets instrumented and loaded back at
  # stop: if it is not the code that runs (recompiled, not reloaded), the
  # recording would end by upgrading the module.
  # A version this module instrumented and could not take back earlier (a
  # process was still running the original then) is marked: its .beam on
  # disk is the original, which is what to instrument and load back.
  defp same_as_loaded(mod, bin) do
    case :beam_lib.md5(bin) do
      {:ok, {^mod, md5}} ->
        if md5 == mod.module_info(:md5) or instrumented?(mod),
          do: :ok,
          else:
            {:error,
             "lines: the .beam of #{inspect(mod)} on the code path is not the loaded code " <>
               "(recompiled and not reloaded?); reload it first"}

      _ ->
        {:error, "lines: cannot read the .beam of #{inspect(mod)}"}
    end
  end

  defp instrumented?(mod), do: Keyword.has_key?(mod.module_info(:attributes), :otpscope_lines)

  defp forms(mod, bin) do
    case :beam_lib.chunks(bin, [:debug_info]) do
      {:ok, {^mod, [debug_info: {:debug_info_v1, backend, data}]}} ->
        case backend.debug_info(:erlang_v1, mod, data, []) do
          {:ok, forms} -> {:ok, forms}
          _ -> no_debug_info(mod)
        end

      _ ->
        no_debug_info(mod)
    end
  end

  defp no_debug_info(mod),
    do:
      {:error,
       "lines: #{inspect(mod)} has no debug_info (compiled without it, or stripped, " <>
         "as releases do by default): its lines cannot be instrumented"}

  # Loading a module runs its on_load function again (a NIF library load,
  # usually), which may fail or misbehave the second time: not touched.
  defp no_on_load(mod, forms) do
    if Enum.any?(forms, &match?({:attribute, _, :on_load, _}, &1)),
      do:
        {:error,
         "lines: #{inspect(mod)} has an on_load function (a NIF library, usually); " <>
           "reloading it is not safe, so its lines are not instrumented"},
      else: :ok
  end

  # The original's source path stays in module_info(:compile) (the recorder
  # reads the source file from there).
  defp compile(mod, forms, source) do
    opts = [:binary, :return_errors, :debug_info] ++ if(source, do: [{:source, source}], else: [])

    case :compile.forms(forms, opts) do
      {:ok, ^mod, bin} -> {:ok, bin}
      {:ok, ^mod, bin, _warnings} -> {:ok, bin}
      error -> {:error, "lines: #{inspect(mod)} does not compile instrumented: #{inspect(error)}"}
    end
  end

  defp purge_old(mod) do
    if :code.soft_purge(mod),
      do: :ok,
      else:
        {:error,
         "lines: a process still runs old code of #{inspect(mod)}; " <>
           "instrumenting it would need a purge that kills it"}
  end

  # --- the transformation ---------------------------------------------------

  @doc false
  # Only functions of the module's own source file: code a macro brought in
  # with `location: :keep` (`use GenServer`'s child_spec/1, ...) sits after a
  # `-file` attribute naming the macro's file, and its lines are that file's.
  def transform(forms, mod, specs) do
    main = Enum.find_value(forms, fn f -> file_of(f) end)
    # the mark instrumented?/1 looks for, right after the module attribute
    forms =
      Enum.flat_map(forms, fn
        {:attribute, a, :module, _} = m -> [m, {:attribute, a, :otpscope_lines, true}]
        form -> [form]
      end)

    {forms, _file} =
      Enum.map_reduce(forms, main, fn form, file ->
        case form do
          {:function, anno, name, arity, clauses} ->
            if file == main and chosen?(specs, name, arity) and not skip?(name, anno),
              do:
                {{:function, anno, name, arity,
                  Enum.map(clauses, &clause(&1, {mod, name, arity}))}, file},
              else: {form, file}

          _ ->
            {form, file_of(form) || file}
        end
      end)

    forms
  end

  defp file_of({:attribute, _, :file, {file, _line}}), do: file
  defp file_of(_form), do: nil

  defp chosen?(specs, name, arity) do
    Enum.any?(specs, fn {_m, f, a} -> f in [:_, name] and a in [:_, arity] end)
  end

  defp skip?(name, anno) do
    :erl_anno.generated(anno) or name in [:__info__, :module_info, :__struct__] or
      String.starts_with?(Atom.to_string(name), "-")
  end

  defp clause({:clause, a, pats, guards, body}, mfa) do
    {:clause, a, pats, guards, body(body, vars(pats, []), mfa, 0)}
  end

  # Before each expression: the snapshot of what is bound so far. An
  # expression whose line is unknown (0, generated) gets none, and so does
  # the first expression of a nested clause on the line of the expression
  # that holds it (`if c, do: f()` would give two snapshots of one line).
  defp body([], _bound, _mfa, _skip), do: []

  defp body([e | rest], bound, mfa, skip) do
    line = line(e)
    e = nested(e, bound, mfa, line)
    next = bound_by(e, bound)

    if line > 0 and line != skip,
      do: [snap_call(mfa, line, bound), e | body(rest, next, mfa, 0)],
      else: [e | body(rest, next, mfa, 0)]
  end

  # Clause bodies inside an expression (the expression itself, or the right
  # side of a match); `line` is the expression's.
  defp nested({:match, a, p, e}, bound, mfa, line),
    do: {:match, a, p, nested(e, bound, mfa, line)}

  defp nested({:case, a, e, clauses}, bound, mfa, line),
    do: {:case, a, e, inner(clauses, bound, mfa, line)}

  defp nested({:receive, a, clauses}, bound, mfa, line),
    do: {:receive, a, inner(clauses, bound, mfa, line)}

  defp nested({:receive, a, clauses, t, after_body}, bound, mfa, line),
    do: {:receive, a, inner(clauses, bound, mfa, line), t, body(after_body, bound, mfa, line)}

  defp nested({:if, a, clauses}, bound, mfa, line), do: {:if, a, inner(clauses, bound, mfa, line)}

  defp nested({:try, a, b, of_clauses, catches, after_body}, bound, mfa, line),
    do:
      {:try, a, body(b, bound, mfa, line), inner(of_clauses, bound, mfa, line),
       inner(catches, bound, mfa, line), body(after_body, bound, mfa, line)}

  defp nested(e, _bound, _mfa, _line), do: e

  defp inner(clauses, bound, mfa, line) do
    for {:clause, a, pats, guards, b} <- clauses,
        do: {:clause, a, pats, guards, body(b, vars(pats, bound), mfa, line)}
  end

  defp bound_by({:match, _, p, e}, bound), do: bound_by(e, vars([p], bound))
  defp bound_by(_e, bound), do: bound

  # Variables of patterns, appended to `acc` in binding order, once each.
  defp vars(patterns, acc) do
    Enum.reduce(patterns, acc, fn p, acc -> collect(p, acc) end)
  end

  defp collect({:var, _, name}, acc) do
    if name == :_ or name in acc or generated_var?(name), do: acc, else: acc ++ [name]
  end

  # the size of a binary segment is a use, not a binding
  defp collect({:bin_element, _, value, _size, _type}, acc), do: collect(value, acc)

  defp collect(t, acc) when is_tuple(t), do: collect(Tuple.to_list(t), acc)
  defp collect([h | t], acc), do: collect(t, collect(h, acc))
  defp collect(_other, acc), do: acc

  # Elixir's compiler temporaries are `_@1`, `_@2`, ...
  defp generated_var?(name), do: String.starts_with?(Atom.to_string(name), "_@")

  defp line(e) when is_tuple(e) and tuple_size(e) >= 2 do
    anno = elem(e, 1)

    try do
      if :erl_anno.generated(anno), do: 0, else: :erl_anno.line(anno) || 0
    rescue
      _ -> 0
    end
  end

  defp line(_), do: 0

  defp snap_call(mfa, line, bound) do
    a = :erl_anno.set_generated(true, :erl_anno.new(line))

    # The latest binding of each name, in binding order: walking the names
    # latest first and prepending builds the list in binding order.
    bindings =
      bound
      |> Enum.reverse()
      |> Enum.uniq_by(&display_name/1)
      |> Enum.reduce({nil, a}, fn name, tail ->
        {:cons, a, {:tuple, a, [{:atom, a, display_name(name)}, {:var, a, name}]}, tail}
      end)

    {:call, a, {:remote, a, {:atom, a, __MODULE__}, {:atom, a, :snap}},
     [:erl_parse.abstract(mfa, [{:location, line}]), {:integer, a, line}, bindings]}
  end

  # Elixir variables compile to `_name@N` (one per rebinding): show `name`,
  # and only the latest binding of a name. Erlang variables keep their name.
  defp display_name(var) do
    s = Atom.to_string(var)

    case Regex.run(~r/^_(.+)@\d+$/, s) do
      [_, name] -> String.to_atom(name)
      nil -> var
    end
  end
end

defmodule Otpscope.Callbacks do
  @moduledoc false
  # Which functions to call-trace so GenServer and gen_statem states land in
  # the archive without touching user code: the callback's arguments hold the
  # state before, its return value the state after (docs/FORMAT.md
  # "GenServer / gen_statem state").

  alias Otpscope.Facts

  @gen_server [
    init: 1,
    handle_call: 3,
    handle_cast: 2,
    handle_info: 2,
    handle_continue: 2,
    terminate: 2,
    code_change: 3
  ]
  @gen_statem_common [init: 1, terminate: 3, code_change: 4]

  @doc "Callback modules of the given processes (from `$initial_call`)."
  def of_processes(pids) do
    pids
    |> Enum.flat_map(fn pid ->
      case Process.info(pid, :dictionary) do
        {:dictionary, dict} ->
          case List.keyfind(dict, :"$initial_call", 0) do
            {_, call} ->
              case Facts.behaviour(call) do
                {b, mod} when b in [:gen_server, :gen_statem, :supervisor] -> [mod_for(b, mod)]
                _ -> []
              end

            nil ->
              []
          end

        _ ->
          []
      end
    end)
    |> Enum.uniq()
    |> Enum.reject(&own?/1)
  end

  # A supervisor's callbacks are those of the :supervisor module.
  defp mod_for(:supervisor, _mod), do: :supervisor
  defp mod_for(_b, mod), do: mod

  @doc "Every loaded module that implements gen_server or gen_statem."
  def loaded do
    for {mod, _} <- :code.all_loaded(),
        not own?(mod),
        Facts.module_behaviour(mod) in [:gen_server, :gen_statem, :supervisor],
        do: if(Facts.module_behaviour(mod) == :supervisor, do: :supervisor, else: mod)
  end

  @doc """
  Loads the gen_server and gen_statem modules among `scan`
  (Facts.application_modules/1: the modules of the loaded applications not
  loaded yet), so that loaded/0 lists them and their callbacks are traced
  from the start. In interactive mode (`iex -S mix`, `mix run`, `erl`) a
  module loads on its first call, and a trace pattern takes only on a
  loaded module: a GenServer started while recorded had its module traced
  only once the tracer saw its spawn, after its `init/1` and often its first
  callbacks had run. Loading one runs none of its code (but an `on_load`
  function, which its first call would run anyway).
  """
  def load_servers(scan) do
    mods = for {mod, b, _} <- scan, b in [:gen_server, :gen_statem], not own?(mod), do: mod
    # together: the code server reads and prepares them in parallel
    :code.ensure_modules_loaded(mods)
    :ok
  end

  @doc "The `{m, f, a}` callbacks of `mod` to trace."
  def functions(mod) do
    case Code.ensure_loaded(mod) do
      {:module, _} -> functions_of(mod, Facts.module_behaviour(mod))
      _ -> []
    end
  end

  defp functions_of(mod, :gen_statem) do
    exports = mod.module_info(:exports)

    state_functions =
      case callback_mode(mod) do
        :state_functions ->
          for {f, 3} <- exports,
              f not in [:terminate, :code_change, :format_status, :start_link, :start],
              do: {f, 3}

        :handle_event_function ->
          [handle_event: 4]

        _ ->
          []
      end

    for {f, a} <- @gen_statem_common ++ state_functions, {f, a} in exports, do: {mod, f, a}
  end

  defp functions_of(mod, b) when b in [:gen_server, :supervisor] do
    exports = mod.module_info(:exports)
    for {f, a} <- @gen_server, {f, a} in exports, do: {mod, f, a}
  end

  defp functions_of(_mod, _), do: []

  defp callback_mode(mod) do
    case mod.callback_mode() do
      list when is_list(list) ->
        Enum.find(list, &(&1 in [:state_functions, :handle_event_function]))

      mode ->
        mode
    end
  catch
    _, _ -> nil
  end

  # The recorder's own modules, by name: a user's module that happens to be named
  # `Otpscope.Something` is traced like any other. test/own_modules_test.exs checks
  # the list against the application's modules.
  @own MapSet.new([
         Otpscope,
         Otpscope.Attach,
         Otpscope.Attach.Error,
         Otpscope.Attach.Signals,
         Otpscope.CLI,
         Otpscope.Callbacks,
         Otpscope.Chunk,
         Otpscope.Dump,
         Otpscope.Encoder,
         Otpscope.Facts,
         Otpscope.JSON,
         Otpscope.Lines,
         Otpscope.Options,
         Otpscope.Recorder,
         Otpscope.Refusals,
         Otpscope.Remote,
         Otpscope.Ring,
         Otpscope.Snapshots,
         Otpscope.Switcher,
         Otpscope.Trace,
         Otpscope.Tracer,
         Otpscope.Truncate,
         Otpscope.Varint,
         Otpscope.Writer,
         Otpscope.Zip,
         Mix.Tasks.Otpscope.Record
       ])

  @doc "Modules of the recorder itself (never traced; their processes are not the system's)."
  def own?(mod), do: MapSet.member?(@own, mod)

  @doc false
  def own_modules, do: MapSet.to_list(@own)

  @doc """
  `{mod, extension, text, path}` for modules whose source file exists
  (≤ 1 MB); `path` is the file the module was compiled from
  (`module_info(:compile)[:source]`), relative to the node's working
  directory `cwd` when it is under it (`lib/my_app/worker.ex` for a project run
  from its root), absolute otherwise.
  """
  def sources(mods, cwd \\ File.cwd!()) do
    for mod <- Enum.uniq(mods),
        source = source_path(mod),
        source != nil,
        {:ok, %{size: size}} <- [File.stat(source)],
        size <= 1_000_000,
        {:ok, text} <- [File.read(source)],
        do: {mod, Path.extname(source), text, relative(source, cwd)}
  end

  @doc "`path` relative to `dir` when it is inside it, else `path` as it is."
  def relative(path, dir) do
    prefix = String.trim_trailing(dir, "/") <> "/"

    if String.starts_with?(path, prefix),
      do: binary_part(path, byte_size(prefix), byte_size(path) - byte_size(prefix)),
      else: path
  end

  defp source_path(mod) do
    with {:module, _} <- Code.ensure_loaded(mod),
         path when is_list(path) <- mod.module_info(:compile)[:source] do
      List.to_string(path)
    else
      _ -> nil
    end
  rescue
    _ -> nil
  end
end

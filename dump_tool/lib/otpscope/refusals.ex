defmodule Otpscope.Refusals do
  @moduledoc false
  # Modules the recorder refuses to call-trace (`modules:`) or instrument
  # (`lines:`) unless the user names them in `allow_risky:`, as recon_trace
  # refuses patterns that would hurt the node. Documented in the Otpscope
  # moduledoc ("Safety").
  #
  # Every process calls these all the time, the runtime and OTP's behaviours
  # included: a pattern on them turns every process's ordinary work into
  # trace messages (a flood the tracer can only drop, and a slower node while
  # it lasts), and the recorder's own processes run them too.

  @risky %{
    runtime:
      ~w(erlang erts_internal erts_debug erl_tracer prim_file prim_inet zlib error_handler code code_server init)a,
    stdlib: ~w(lists maps io io_lib io_lib_format unicode binary ets file string)a,
    behaviours:
      ~w(gen gen_server gen_statem gen_event proc_lib sys supervisor application_controller logger)a,
    elixir: [Kernel, Enum, Map, List, String, IO, Process, GenServer, Keyword, Access]
  }

  @doc "The refused modules, by group (the recorder's own modules come on top)."
  def risky, do: @risky

  @doc """
  Raises ArgumentError naming the option, the module and the risk when a
  `modules:` or `lines:` target is refused and not in `allow`.
  """
  def check!(opts) do
    allow = MapSet.new(opts.allow_risky)

    for {key, mods} <- [
          modules: for({{m, _, _}, _} <- opts.modules, do: m),
          lines: for({m, _, _} <- opts.lines, do: m)
        ],
        mod <- Enum.uniq(mods),
        risk = risk(mod),
        risk != nil,
        not MapSet.member?(allow, mod) do
      raise ArgumentError,
            "#{inspect(key)}: refusing #{inspect(mod)}: #{risk}; " <>
              "add it to allow_risky: [#{inspect(mod)}] (--allow-risky) if you mean it"
    end

    :ok
  end

  defp risk(mod) do
    cond do
      Otpscope.Callbacks.own?(mod) ->
        "the recorder's own module (tracing it would trace the tracer)"

      group = Enum.find_value(@risky, fn {group, mods} -> mod in mods and group end) ->
        "#{describe(group)} calls it all the time: tracing it floods the tracer " <>
          "(events dropped) and slows every process while it lasts"

      true ->
        nil
    end
  end

  defp describe(:runtime), do: "the runtime"
  defp describe(:stdlib), do: "nearly every process"
  defp describe(:behaviours), do: "every OTP process (GenServer, supervisor, logger)"
  defp describe(:elixir), do: "nearly every Elixir process"
end

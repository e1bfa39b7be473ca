defmodule Otpscope.Options do
  @moduledoc false
  # Validates the options of Otpscope.start/1 and fills in the defaults.
  # Every error is an ArgumentError naming the option and what it accepts.

  @defaults [
    file: nil,
    mode: :record,
    # ring mode only (nil: {30, :seconds} in ring mode)
    keep: nil,
    dump_on: [],
    max_dumps: 100,
    min_dump_interval: 1_000,
    sample: 1.0,
    processes: :all,
    modules: [],
    lines: [],
    allow_risky: [],
    messages: true,
    states: true,
    start_states: true,
    lifecycle: true,
    telemetry: true,
    max_events: 1_000_000,
    max_rate: 100_000,
    duration: :infinity,
    max_binary: 512,
    max_list: 100,
    max_map: 100,
    max_tuple: 64,
    max_depth: 20,
    owner: nil,
    chunk_events: 16_384,
    flush_interval: 500,
    max_in_flight: 16,
    max_buffer_memory: 64_000_000,
    # nil: the same as :max_buffer_memory
    max_mailbox_memory: nil,
    encoders: nil,
    high_water: 20_000,
    low_water: 5_000,
    suspend_water: 60_000,
    level: 1
  ]

  @processes_accepted ":all, :new, or a non-empty list of pids, registered names, " <>
                        "{:global, name} and {:via, module, name}"

  @dump_on_accepted "a keyword list of exit_of: a process (pid, registered name, callback " <>
                      "module, {:global, name}, {:via, module, name}) or a list of them, and " <>
                      "telemetry: an event name ([:my_app, :incident]) or a list of them"

  @doc "The defaults, for documentation and the manifest."
  def defaults, do: @defaults

  @doc "Returns a map of validated options, raising ArgumentError on bad input."
  def validate!(opts) when is_list(opts) do
    unless Keyword.keyword?(opts) do
      raise ArgumentError, "Otpscope options must be a keyword list, got: #{inspect(opts)}"
    end

    for {key, _} <- opts, not Keyword.has_key?(@defaults, key) do
      raise ArgumentError,
            "unknown option #{inspect(key)}; accepted options: " <>
              Enum.map_join(Keyword.keys(@defaults), ", ", &inspect/1)
    end

    given = opts
    opts = Keyword.merge(@defaults, opts)
    map = Map.new(opts, fn {k, v} -> {k, check!(k, v)} end)
    map = ring!(map, given)
    map = %{map | max_mailbox_memory: map.max_mailbox_memory || map.max_buffer_memory}
    Otpscope.Refusals.check!(map)

    if map.low_water >= map.high_water or map.high_water >= map.suspend_water do
      raise ArgumentError, ":low_water < :high_water < :suspend_water must hold"
    end

    map
  end

  def validate!(other),
    do: raise(ArgumentError, "Otpscope options must be a keyword list, got: #{inspect(other)}")

  defp check!(:file, nil), do: default_file()
  defp check!(:file, f) when is_binary(f) and f != "", do: Path.expand(f)

  # From Erlang a path is a charlist ("trace.zip"), as `file:` takes it.
  defp check!(:file, [c | _] = f) when is_integer(c) do
    case :unicode.characters_to_binary(f) do
      s when is_binary(s) -> check!(:file, s)
      _ -> bad!(:file, f, "a non-empty path string")
    end
  end

  defp check!(:file, f), do: bad!(:file, f, "a non-empty path string")

  defp check!(:mode, m) when m in [:record, :ring], do: m
  defp check!(:mode, m), do: bad!(:mode, m, ":record or :ring")

  defp check!(:keep, nil), do: nil

  defp check!(:keep, {n, unit} = k) when is_integer(n) and n > 0 and unit in [:seconds, :events],
    do: k

  defp check!(:keep, k), do: bad!(:keep, k, "{seconds, :seconds} or {count, :events}, positive")

  defp check!(:dump_on, list) when is_list(list) do
    Enum.map(list, fn
      {:exit_of, targets} ->
        targets = List.wrap(targets)

        if targets != [] and Enum.all?(targets, &process_ref?/1),
          do: {:exit_of, targets},
          else: bad!(:dump_on, list, @dump_on_accepted)

      {:telemetry, events} ->
        events = if match?([a | _] when is_atom(a), events), do: [events], else: events

        if is_list(events) and events != [] and Enum.all?(events, &event_name?/1),
          do: {:telemetry, events},
          else: bad!(:dump_on, list, @dump_on_accepted)

      _ ->
        bad!(:dump_on, list, @dump_on_accepted)
    end)
  end

  defp check!(:dump_on, v), do: bad!(:dump_on, v, @dump_on_accepted)

  defp check!(:max_dumps, n) when (is_integer(n) and n >= 0) or n == :infinity, do: n
  defp check!(:max_dumps, n), do: bad!(:max_dumps, n, "a count (0 or more) or :infinity")

  defp check!(:min_dump_interval, ms) when is_integer(ms) and ms >= 0, do: ms

  defp check!(:min_dump_interval, ms),
    do: bad!(:min_dump_interval, ms, "milliseconds, an integer 0 or more")

  defp check!(:sample, r) when is_number(r) and r > 0 and r <= 1, do: r / 1
  defp check!(:sample, r), do: bad!(:sample, r, "a fraction of processes, 0 < sample <= 1")

  defp check!(:processes, p) when p in [:all, :new], do: p

  defp check!(:processes, list) when is_list(list) and list != [] do
    for p <- list, not process_ref?(p), do: bad!(:processes, list, @processes_accepted)
    list
  end

  defp check!(:processes, p), do: bad!(:processes, p, @processes_accepted)

  defp check!(:modules, list) when is_list(list) do
    Enum.map(list, fn
      m when is_atom(m) and m not in [nil, true, false] ->
        {{m, :_, :_}, nil}

      {m, f, a} = mfa when is_atom(m) and is_atom(f) and (a == :_ or is_integer(a)) ->
        {mfa, nil}

      {m, f, a, ms}
      when is_atom(m) and is_atom(f) and (a == :_ or is_integer(a)) and is_list(ms) ->
        {{m, f, a}, ms}

      other ->
        bad!(
          :modules,
          other,
          "a list of modules, {module, function, arity} or {module, function, arity, match_spec}"
        )
    end)
  end

  defp check!(:modules, m),
    do: bad!(:modules, m, "a list of modules or {module, function, arity}")

  defp check!(:lines, list) when is_list(list) do
    Enum.map(list, fn
      m when is_atom(m) and m not in [nil, true, false] ->
        {m, :_, :_}

      {m, f, a} = mfa when is_atom(m) and is_atom(f) and (a == :_ or is_integer(a)) ->
        mfa

      other ->
        bad!(:lines, other, "a list of modules or {module, function, arity}")
    end)
  end

  defp check!(:lines, l), do: bad!(:lines, l, "a list of modules or {module, function, arity}")

  defp check!(:allow_risky, list) when is_list(list) do
    if Enum.all?(list, &is_atom/1), do: list, else: bad!(:allow_risky, list, "a list of modules")
  end

  defp check!(:allow_risky, v), do: bad!(:allow_risky, v, "a list of modules")

  defp check!(key, v) when key in [:messages, :states, :start_states, :lifecycle, :telemetry] do
    if is_boolean(v), do: v, else: bad!(key, v, "true or false")
  end

  defp check!(key, v) when key in [:max_events, :max_rate, :duration] do
    if v == :infinity or (is_integer(v) and v > 0),
      do: v,
      else: bad!(key, v, "a positive integer or :infinity")
  end

  defp check!(key, v) when key in [:max_binary, :max_list, :max_map, :max_tuple, :max_depth] do
    if is_integer(v) and v >= 0, do: v, else: bad!(key, v, "a non-negative integer")
  end

  defp check!(:owner, nil), do: self()
  defp check!(:owner, p) when is_pid(p), do: p
  defp check!(:owner, p), do: bad!(:owner, p, "a pid")

  defp check!(:encoders, nil), do: min(max(System.schedulers_online(), 1), 4)
  defp check!(:encoders, n) when is_integer(n) and n in 1..64, do: n
  defp check!(:encoders, n), do: bad!(:encoders, n, "an integer from 1 to 64")

  defp check!(:max_mailbox_memory, nil), do: nil

  defp check!(:max_mailbox_memory, v) when is_integer(v) and v > 0, do: v

  defp check!(:max_mailbox_memory, v),
    do: bad!(:max_mailbox_memory, v, "a positive integer (bytes) or nil")

  defp check!(:level, l) when l in 0..9, do: l
  defp check!(:level, l), do: bad!(:level, l, "an integer from 0 to 9")

  defp check!(key, v)
       when key in [
              :chunk_events,
              :flush_interval,
              :max_in_flight,
              :max_buffer_memory,
              :high_water,
              :low_water,
              :suspend_water
            ] do
    if is_integer(v) and v > 0, do: v, else: bad!(key, v, "a positive integer")
  end

  defp event_name?(e), do: is_list(e) and e != [] and Enum.all?(e, &is_atom/1)

  # Ring mode: `keep` defaults to 30 s, and `max_events` (a limit meant for
  # recordings that end) applies only when given. `keep`, `dump_on`,
  # `max_dumps` and `min_dump_interval` mean nothing without it.
  defp ring!(%{mode: :ring} = map, given) do
    %{
      map
      | keep: map.keep || {30, :seconds},
        max_events: if(Keyword.has_key?(given, :max_events), do: map.max_events, else: :infinity)
    }
  end

  defp ring!(map, given) do
    for key <- [:keep, :dump_on], Map.get(map, key) not in [nil, []] do
      raise ArgumentError, "#{inspect(key)} needs mode: :ring (a flight recording)"
    end

    for key <- [:max_dumps, :min_dump_interval], Keyword.has_key?(given, key) do
      raise ArgumentError, "#{inspect(key)} needs mode: :ring (a flight recording)"
    end

    map
  end

  defp process_ref?(p) when is_pid(p), do: true
  defp process_ref?(p) when is_atom(p), do: p not in [nil, true, false]
  defp process_ref?({:global, _name}), do: true
  defp process_ref?({:via, mod, _name}) when is_atom(mod), do: true
  defp process_ref?(_), do: false

  defp bad!(key, value, accepted) do
    raise ArgumentError,
          "invalid value for #{inspect(key)}: #{inspect(value)}; expected #{accepted}"
  end

  defp default_file do
    stamp = System.os_time(:second)
    Path.expand("otpscope-#{node()}-#{stamp}.zip")
  end
end

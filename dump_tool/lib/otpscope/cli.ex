defmodule Otpscope.CLI do
  @moduledoc """
  Command line front end shared by `mix otpscope.record` and the
  `otpscope_record` escript.

  The escript attaches to a running node (it has no application of its own
  to record):

      cd dump_tool
      mix escript.build                     # writes ./otpscope_record (MIX_ENV=prod)
      ./otpscope_record --node app@myhost --cookie secret --duration 30s -o trace.zip

  Attach mode connects with distributed Erlang as a hidden node (`epmd`
  must run, the node name type follows the target: long names when its
  host has a dot), records there and streams the archive back: see
  `Otpscope.Attach`. Every failure is one line on stderr and exit status 1.
  """

  @switches [
    output: :string,
    processes: :string,
    modules: :string,
    lines: :string,
    allow_risky: :string,
    duration: :string,
    max_events: :string,
    max_rate: :string,
    max_buffer_memory: :string,
    max_mailbox_memory: :string,
    messages: :boolean,
    states: :boolean,
    start_states: :boolean,
    lifecycle: :boolean,
    telemetry: :boolean,
    max_binary: :integer,
    max_list: :integer,
    max_map: :integer,
    max_tuple: :integer,
    max_depth: :integer,
    node: :string,
    nodes: :string,
    cluster: :boolean,
    cookie: :string,
    sname: :string,
    remote_dir: :string,
    mode: :string,
    keep: :string,
    dump_on_exit_of: :string,
    dump_on_telemetry: :string,
    max_dumps: :string,
    min_dump_interval: :string,
    sample: :string
  ]
  @aliases [o: :output, d: :duration, p: :processes, m: :modules]

  # The modules only this side of attach mode runs (the command line, the client).
  @client_modules [
    Otpscope.CLI,
    Otpscope.Attach,
    Otpscope.Attach.Error,
    Otpscope.Attach.Signals,
    Mix.Tasks.Otpscope.Record
  ]

  @doc false
  def switches, do: @switches

  @doc false
  # what attach mode loads onto the target node
  def runtime_modules, do: Otpscope.Callbacks.own_modules() -- @client_modules

  @doc """
  Parses the command line. Returns `{recorder_options, cli}` where `cli` has
  `:node`, `:cookie`, `:sname`, `:remote_dir` and `:duration`. Raises `OptionParser.ParseError` or
  `ArgumentError` (with a message for the user) on bad input.
  """
  def parse!(argv) do
    {parsed, _rest} = OptionParser.parse!(argv, strict: @switches, aliases: @aliases)
    duration = duration!(Keyword.get(parsed, :duration, "10s"))

    opts =
      Enum.flat_map(parsed, fn
        {:output, f} ->
          [file: Path.expand(f)]

        {:processes, p} ->
          [processes: processes!(p)]

        {:modules, m} ->
          [modules: modules!(m)]

        {:lines, m} ->
          [lines: modules!(m)]

        {:allow_risky, m} ->
          [allow_risky: Enum.map(String.split(m, ",", trim: true), &module_atom/1)]

        {:max_events, v} ->
          [max_events: count!(:max_events, v)]

        {:mode, m} ->
          [mode: mode!(m)]

        {:keep, k} ->
          [keep: keep!(k)]

        {:sample, r} ->
          [sample: sample!(r)]

        {:max_dumps, v} ->
          [max_dumps: if(v == "0", do: 0, else: count!(:max_dumps, v))]

        {:min_dump_interval, v} ->
          [min_dump_interval: interval!(v)]

        {:max_rate, v} ->
          [max_rate: count!(:max_rate, v)]

        {k, v} when k in [:max_buffer_memory, :max_mailbox_memory] ->
          [{k, bytes!(k, v)}]

        {k, v} when k in [:messages, :states, :start_states, :lifecycle, :telemetry] ->
          [{k, v}]

        {k, v} when k in [:max_binary, :max_list, :max_map, :max_tuple, :max_depth] ->
          [{k, v}]

        _ ->
          []
      end)

    dump_on =
      Enum.flat_map(parsed, fn
        {:dump_on_exit_of, text} -> [exit_of: processes_list!("--dump-on-exit-of", text)]
        {:dump_on_telemetry, text} -> [telemetry: events!(text)]
        _ -> []
      end)

    opts = if dump_on == [], do: opts, else: opts ++ [dump_on: dump_on]

    {opts ++ [duration: duration],
     %{
       node: parsed[:node] && node!("--node", parsed[:node]),
       nodes: nodes!(parsed),
       cluster: Keyword.get(parsed, :cluster, false),
       output: parsed[:output],
       cookie: parsed[:cookie] && String.to_atom(parsed[:cookie]),
       sname: parsed[:sname],
       remote_dir: parsed[:remote_dir],
       duration: duration
     }}
  end

  # --nodes a@h,b@h, or --cluster with --node
  defp nodes!(parsed) do
    cond do
      parsed[:nodes] && parsed[:node] ->
        raise ArgumentError, "give either --node or --nodes, not both"

      parsed[:nodes] ->
        case String.split(parsed[:nodes], ",", trim: true) do
          [] -> raise ArgumentError, "--nodes: expected a comma-separated list of name@host"
          names -> Enum.map(names, &node!("--nodes", &1))
        end

      parsed[:cluster] && !parsed[:node] ->
        raise ArgumentError, "--cluster records the node given with --node and its cluster"

      true ->
        nil
    end
  end

  @doc """
  Records what `cli` names: one node (`{:ok, [path]}`), or with `--nodes` /
  `--cluster` each node into its own archive in the `-o` directory (default
  `otpscope-<unix seconds>`), `{:ok, paths}` or `{:error, paths, failures}`
  where each failure is one line.
  """
  def record(opts, cli) do
    # SIGTERM ends the recordings early and keeps them (Otpscope.Attach.Signals)
    Otpscope.Attach.Signals.install()

    if cli.nodes || cli.cluster do
      dir = Path.expand(cli.output || "otpscope-#{System.os_time(:second)}")

      with {:error, reason} <- File.mkdir_p(dir) do
        raise Otpscope.Attach.Error,
              "-o #{dir}: cannot make the folder: #{:file.format_error(reason)}"
      end

      nodes = cli.nodes || [cli.node]
      results = Otpscope.Attach.record_many(nodes, dir, Keyword.delete(opts, :file), cli)
      paths = for {_node, {:ok, path}} <- results, do: path
      failures = for {_node, {:error, message}} <- results, do: message
      if failures == [], do: {:ok, paths}, else: {:error, paths, failures}
    else
      {:ok, path} = Otpscope.Attach.record(cli.node, opts, cli)
      {:ok, [path]}
    end
  end

  # A node's full name: `app` alone would reach the distribution as a name without a host (an error report, then a
  # crash); a release's node is `app@<short host>` (RELEASE_DISTRIBUTION=sname, the default) or `app@<host or IP>`.
  defp node!(flag, text) do
    case String.split(text, "@") do
      [name, host] when name != "" and host != "" ->
        String.to_atom(text)

      _ ->
        {:ok, host} = :inet.gethostname()
        short = host |> List.to_string() |> String.split(".") |> hd()

        raise ArgumentError,
              "#{flag} #{text}: expected a node name name@host, such as " <>
                "#{String.trim_trailing(text, "@")}@#{short} (a node started with --sname " <>
                "or a release's default) or name@10.0.0.5 (--name)"
    end
  end

  @doc "Parses `64MB`, `512KB`, `1GB` (or plain bytes) into bytes."
  def bytes!(key, text) do
    units = %{"" => 1, "B" => 1, "KB" => 1_000, "MB" => 1_000_000, "GB" => 1_000_000_000}

    case Integer.parse(text) do
      {n, unit} when n > 0 and is_map_key(units, unit) ->
        n * Map.fetch!(units, unit)

      _ ->
        flag = "--" <> String.replace(Atom.to_string(key), "_", "-")

        raise ArgumentError,
              "#{flag}: expected a size such as 64MB, 512KB or 1GB, got: #{inspect(text)}"
    end
  end

  defp mode!("ring"), do: :ring
  defp mode!("record"), do: :record
  defp mode!(m), do: raise(ArgumentError, "--mode: expected record or ring, got: #{inspect(m)}")

  # --keep 30s | 2m | 10000events
  defp keep!(text) do
    case Integer.parse(text) do
      {n, "events"} when n > 0 ->
        {n, :events}

      _ ->
        try do
          case duration!(text) do
            ms when is_integer(ms) -> {max(div(ms + 999, 1_000), 1), :seconds}
            _ -> raise ArgumentError
          end
        rescue
          ArgumentError ->
            reraise ArgumentError,
                    "--keep: expected a time (30s, 2m) or a count of events (10000events), got: #{inspect(text)}",
                    __STACKTRACE__
        end
    end
  end

  defp sample!(text) do
    case Float.parse(text) do
      {r, ""} when r > 0 and r <= 1 ->
        r

      _ ->
        raise ArgumentError,
              "--sample: expected a fraction of processes, 0 < x <= 1, got: #{inspect(text)}"
    end
  end

  # my_app.request.fail,my_app.incident -> [[:my_app, :request, :fail], [:my_app, :incident]]
  defp events!(text) do
    case String.split(text, ",", trim: true) do
      [] ->
        raise ArgumentError, "--dump-on-telemetry: expected event names such as my_app.incident"

      names ->
        Enum.map(names, fn n ->
          n |> String.split(".", trim: true) |> Enum.map(&String.to_atom/1)
        end)
    end
  end

  defp processes_list!(flag, text) do
    case String.split(text, ",", trim: true) do
      [] ->
        raise ArgumentError, "#{flag}: expected a comma-separated list of names, modules and pids"

      items ->
        Enum.map(items, &process!/1)
    end
  end

  @doc "Parses `500ms`, `10s`, `2m` (or plain milliseconds) into milliseconds; `infinity`."
  def duration!("infinity"), do: :infinity

  def duration!(text) do
    case Integer.parse(text) do
      {n, "ms"} when n > 0 ->
        n

      {n, "s"} when n > 0 ->
        n * 1_000

      {n, "m"} when n > 0 ->
        n * 60_000

      {n, ""} when n > 0 ->
        n

      _ ->
        raise ArgumentError,
              "--duration: expected e.g. 500ms, 10s, 2m or infinity, got: #{inspect(text)}"
    end
  end

  defp count!(_key, "infinity"), do: :infinity

  defp count!(key, text) do
    case Integer.parse(String.replace(text, "_", "")) do
      {n, ""} when n > 0 ->
        n

      _ ->
        raise ArgumentError,
              "--#{String.replace(to_string(key), "_", "-")}: expected a positive integer or infinity, got: #{inspect(text)}"
    end
  end

  # --min-dump-interval 0 | 500ms | 10s | 2m: milliseconds
  defp interval!("0"), do: 0

  defp interval!(text) do
    ms =
      try do
        duration!(text)
      rescue
        ArgumentError -> nil
      end

    if is_integer(ms),
      do: ms,
      else:
        raise(
          ArgumentError,
          "--min-dump-interval: expected 0, 500ms, 10s or 2m, got: #{inspect(text)}"
        )
  end

  defp processes!("all"), do: :all
  defp processes!("new"), do: :new

  defp processes!(text) do
    case String.split(text, ",", trim: true) do
      [] ->
        raise ArgumentError,
              "--processes: expected all, new, or a comma-separated list of names and pids"

      items ->
        Enum.map(items, &process!/1)
    end
  end

  defp process!("<" <> _ = pid), do: :erlang.list_to_pid(String.to_charlist(pid))
  defp process!(name), do: module_atom(name)

  defp modules!(text) do
    for item <- String.split(text, ",", trim: true) do
      case Regex.run(~r{^(.+)\.([^./]+)/(\d+)$}, item) do
        [_, mod, fun, arity] -> {module_atom(mod), String.to_atom(fun), String.to_integer(arity)}
        nil -> module_atom(item)
      end
    end
  end

  # "MyApp.Worker" -> MyApp.Worker, ":lists" or "lists" -> :lists
  defp module_atom(":" <> name), do: String.to_atom(name)

  defp module_atom(name) do
    if name =~ ~r/^[A-Z]/, do: Module.concat([name]), else: String.to_atom(name)
  end

  @doc "One-line summary of an archive: size and totals.json."
  def summary(path) do
    bin = File.read!(path)

    totals =
      case :binary.match(bin, "totals.json") do
        {pos, 11} ->
          <<_::binary-size(pos - 30), 0x04034B50::little-32, _::binary-size(14), csize::little-32,
            _::binary-size(4), _::little-16, xlen::little-16, _::binary-size(11),
            _::binary-size(xlen), data::binary-size(csize), _::binary>> = bin

          :zlib.unzip(data)

        _ ->
          "{}"
      end

    "#{path} (#{byte_size(bin)} bytes)\n#{totals}"
  rescue
    _ -> "#{path}"
  end

  @usage """
  otpscope_record: record a running BEAM node into an otpscope archive

  Usage:
    otpscope_record --node NAME@HOST --cookie COOKIE [options]
    otpscope_record --nodes A@HOST,B@HOST --cookie COOKIE -o DIR [options]
    otpscope_record --cluster --node NAME@HOST --cookie COOKIE -o DIR [options]
    otpscope_record --version

  Options (same as `mix otpscope.record`):
    -o, --output PATH        archive path (default otpscope-<node>-<time>.zip)
    -p, --processes SPEC     all (default), new, or Name1,Name2,<0.123.0>
    -m, --modules LIST       modules or Mod.fun/arity to call-trace
        --lines LIST         modules or Mod.fun/arity to take line snapshots in
        --allow-risky LIST   modules that --modules/--lines may name although every
                             process calls them (:lists, Enum, :gen_server, ...)
    -d, --duration TIME      500ms, 10s, 2m, infinity (default 10s)
        --mode ring          flight recorder: keep only the last --keep in memory,
                             write it on a trigger and at the end (see Otpscope)
        --keep WINDOW        with --mode ring: 30s, 2m or 10000events (default 30s)
        --dump-on-exit-of LIST     with --mode ring: dump when one of these (names,
                             callback modules, pids) crashes
        --dump-on-telemetry LIST   with --mode ring: dump on these :telemetry events
                             (my_app.incident,my_app.db.down)
        --max-dumps N        with --mode ring: at most N dumps by trigger (default 100)
        --min-dump-interval TIME   with --mode ring: at least this long between two
                             dumps by trigger, 0, 500ms, 10s (default 1s)
        --sample FRACTION    record this fraction of the processes (0.1)
        --max-events N       stop after N events (default 1000000)
        --max-rate N         events/s above which events are dropped and counted
        --max-buffer-memory SIZE   events being encoded or written, at most (default 64MB)
        --max-mailbox-memory SIZE  the tracer's mailbox, at most (default: --max-buffer-memory)
        --no-messages, --no-states, --no-lifecycle, --no-telemetry
        --no-start-states    do not read GenServer states at start (:sys.get_state)
        --max-binary, --max-list, --max-map, --max-tuple, --max-depth N
        --remote-dir DIR     where the node writes the archive before it is
                             copied back and removed (default: the node's tmp dir)
        --sname NAME         this client's node name (default: unique, hidden)
        --nodes A@H,B@H      record several nodes at once, each into DIR/<node>.zip
                             (-o DIR, default otpscope-<unix seconds>)
        --cluster            with --node: that node and every node connected to it
  """

  @doc "What `--version` prints: the recorder's version and the Elixir and OTP it runs on."
  def version_text do
    "otpscope_record #{Otpscope.Recorder.version()} " <>
      "(Elixir #{System.version()}, OTP #{:erlang.system_info(:otp_release)})"
  end

  @doc "Escript entry point: attach mode only."
  def main(argv) do
    if Enum.any?(argv, &(&1 in ["-h", "--help"])) do
      IO.puts(@usage)
      System.halt(0)
    end

    if Enum.any?(argv, &(&1 in ["-V", "--version"])) do
      IO.puts(version_text())
      System.halt(0)
    end

    {opts, cli} = parse!(argv)

    unless cli.node || cli.nodes do
      raise ArgumentError,
            "otpscope_record attaches to running nodes: give --node name@host " <>
              "(or --nodes a@host,b@host, or --cluster with --node) and --cookie"
    end

    IO.puts(
      "recording on #{Enum.join(cli.nodes || [cli.node], ", ")} " <>
        if(cli.duration == :infinity,
          do: "until SIGTERM (kill #{System.pid()}) ...",
          else: "for #{cli.duration} ms (SIGTERM to end it sooner) ..."
        )
    )

    case record(opts, cli) do
      {:ok, paths} ->
        Enum.each(paths, &IO.puts(summary(&1)))

      {:error, paths, failures} ->
        Enum.each(paths, &IO.puts(summary(&1)))
        Enum.each(failures, &IO.puts(:stderr, "otpscope_record: " <> &1))
        System.halt(1)
    end
  rescue
    e in [ArgumentError, OptionParser.ParseError, Otpscope.Attach.Error] ->
      IO.puts(:stderr, "otpscope_record: " <> Exception.message(e))
      System.halt(1)

    e ->
      IO.puts(:stderr, "otpscope_record: unexpected error: " <> one_line(Exception.message(e)))
      System.halt(1)
  end

  defp one_line(text), do: text |> String.split("\n", trim: true) |> Enum.join(" ")
end

defmodule Otpscope.CLI do
  @moduledoc """
  Command line front end shared by `mix otpscope.record` and the
  `otpscope_record` escript.

  The escript attaches to a running node (it has no application of its own
  to record):

      cd dump_tool
      mix escript.build                     # writes ./otpscope_record (MIX_ENV=prod)
      ./otpscope_record --node app@myhost --cookie secret --duration 30s -o trace.zip

  Attach mode connects with distributed Erlang (`epmd` must run, the node
  name type follows the target: long names when its host has a dot), loads
  the recorder's modules onto the remote node with `:code.load_binary/3`
  over `:rpc` (the remote node needs Elixir >= 1.14 loaded, as any Elixir
  release has), records there with this process as the owner (so the remote
  recording stops if this client goes away), and copies the archive back.
  """

  @switches [
    output: :string,
    processes: :string,
    modules: :string,
    lines: :string,
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
    cookie: :string,
    sname: :string
  ]
  @aliases [o: :output, d: :duration, p: :processes, m: :modules]

  @runtime_modules [
    Otpscope,
    Otpscope.Callbacks,
    Otpscope.Chunk,
    Otpscope.Encoder,
    Otpscope.Facts,
    Otpscope.JSON,
    Otpscope.Lines,
    Otpscope.Options,
    Otpscope.Recorder,
    Otpscope.Snapshots,
    Otpscope.Trace,
    Otpscope.Tracer,
    Otpscope.Truncate,
    Otpscope.Varint,
    Otpscope.Writer,
    Otpscope.Zip
  ]

  @doc false
  def switches, do: @switches

  @doc false
  # what attach mode loads onto the target node
  def runtime_modules, do: @runtime_modules

  @doc """
  Parses the command line. Returns `{recorder_options, cli}` where `cli` has
  `:node`, `:cookie` and `:duration`. Raises `OptionParser.ParseError` or
  `ArgumentError` (with a message for the user) on bad input.
  """
  def parse!(argv) do
    {parsed, _rest} = OptionParser.parse!(argv, strict: @switches, aliases: @aliases)
    duration = duration!(Keyword.get(parsed, :duration, "10s"))

    opts =
      Enum.flat_map(parsed, fn
        {:output, f} -> [file: Path.expand(f)]
        {:processes, p} -> [processes: processes!(p)]
        {:modules, m} -> [modules: modules!(m)]
        {:lines, m} -> [lines: modules!(m)]
        {:max_events, v} -> [max_events: count!(:max_events, v)]
        {:max_rate, v} -> [max_rate: count!(:max_rate, v)]
        {k, v} when k in [:max_buffer_memory, :max_mailbox_memory] -> [{k, bytes!(k, v)}]
        {k, v} when k in [:messages, :states, :start_states, :lifecycle, :telemetry] -> [{k, v}]
        {k, v} when k in [:max_binary, :max_list, :max_map, :max_tuple, :max_depth] -> [{k, v}]
        _ -> []
      end)

    {opts ++ [duration: duration],
     %{
       node: parsed[:node] && String.to_atom(parsed[:node]),
       cookie: parsed[:cookie] && String.to_atom(parsed[:cookie]),
       sname: parsed[:sname],
       duration: duration
     }}
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

  @doc "Parses `500ms`, `10s`, `2m` (or plain milliseconds) into milliseconds."
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
        raise ArgumentError, "--duration: expected e.g. 500ms, 10s or 2m, got: #{inspect(text)}"
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

  @doc """
  Records on `node` (attach mode) and copies the archive to `opts[:file]`.
  Returns `{:ok, local_path}`.
  """
  def attach(node, cookie, opts, sname \\ nil) do
    ensure_distributed!(node, sname)
    if cookie, do: Node.set_cookie(node, cookie)

    unless Node.connect(node) do
      raise ArgumentError, "cannot connect to #{node} (is it running, is the cookie right?)"
    end

    for mod <- @runtime_modules do
      {^mod, bin, file} = :code.get_object_code(mod)

      case :rpc.call(node, :code, :load_binary, [mod, file, bin]) do
        {:module, ^mod} -> :ok
        other -> raise ArgumentError, "cannot load #{inspect(mod)} on #{node}: #{inspect(other)}"
      end
    end

    local =
      Keyword.get(opts, :file) || Path.expand("otpscope-#{node}-#{System.os_time(:second)}.zip")

    remote_file = "/tmp/otpscope-#{System.os_time(:millisecond)}.zip"
    remote_opts = Keyword.merge(opts, file: remote_file, owner: self())

    case :rpc.call(node, Otpscope, :start, [remote_opts]) do
      {:ok, _} -> :ok
      {:badrpc, reason} -> raise ArgumentError, "starting on #{node} failed: #{inspect(reason)}"
      {:error, reason} -> raise ArgumentError, "starting on #{node} failed: #{inspect(reason)}"
    end

    {:ok, path} = :rpc.call(node, Otpscope, :await, [:infinity], :infinity)
    {:ok, bin} = :rpc.call(node, :file, :read_file, [path])
    :rpc.call(node, :file, :delete, [path])
    File.mkdir_p!(Path.dirname(local))
    File.write!(local, bin)
    {:ok, local}
  end

  defp ensure_distributed!(target, sname) do
    unless Node.alive?() do
      System.cmd("epmd", ["-daemon"], stderr_to_stdout: true)
      [_, host] = String.split(Atom.to_string(target), "@", parts: 2)
      type = if String.contains?(host, "."), do: :longnames, else: :shortnames
      name = String.to_atom(sname || "otpscope_record_#{System.unique_integer([:positive])}")

      case Node.start(name, type) do
        {:ok, _} -> :ok
        {:error, reason} -> raise ArgumentError, "cannot start distribution: #{inspect(reason)}"
      end
    end
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

  @doc "Escript entry point: attach mode only."
  @usage """
  otpscope_record: record a running BEAM node into an otpscope archive

  Usage:
    otpscope_record --node NAME@HOST --cookie COOKIE [options]

  Options (same as `mix otpscope.record`):
    -o, --output PATH        archive path (default otpscope-<node>-<time>.zip)
    -p, --processes SPEC     all (default), new, or Name1,Name2,<0.123.0>
    -m, --modules LIST       modules or Mod.fun/arity to call-trace
        --lines LIST         modules or Mod.fun/arity to take line snapshots in
    -d, --duration TIME      500ms, 10s, 2m (default 10s)
        --max-events N       stop after N events (default 1000000)
        --max-rate N         events/s above which events are dropped and counted
        --max-buffer-memory SIZE   events being encoded or written, at most (default 64MB)
        --max-mailbox-memory SIZE  the tracer's mailbox, at most (default: --max-buffer-memory)
        --no-messages, --no-states, --no-lifecycle, --no-telemetry
        --no-start-states    do not read GenServer states at start (:sys.get_state)
        --max-binary, --max-list, --max-map, --max-tuple, --max-depth N
        --sname NAME         this client's node name
  """

  def main(argv) do
    if Enum.any?(argv, &(&1 in ["-h", "--help"])) do
      IO.puts(@usage)
      System.halt(0)
    end

    {opts, cli} = parse!(argv)

    unless cli.node do
      raise ArgumentError,
            "otpscope_record attaches to a running node: give --node name@host (and --cookie)"
    end

    IO.puts("recording on #{cli.node} for #{cli.duration} ms ...")
    {:ok, path} = attach(cli.node, cli.cookie, opts, cli.sname)
    IO.puts(summary(path))
  rescue
    e in [ArgumentError, OptionParser.ParseError] ->
      IO.puts(:stderr, "otpscope_record: " <> Exception.message(e))
      System.halt(1)
  end
end

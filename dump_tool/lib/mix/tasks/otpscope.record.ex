defmodule Mix.Tasks.Otpscope.Record do
  use Mix.Task

  @shortdoc "Records the current project (or a running node) into an otpscope archive"

  @moduledoc """
  Records process lifecycles, messages, GenServer states and chosen function
  calls into an otpscope archive (`docs/FORMAT.md`).

  Without `--node` it starts the current project's application (like
  `mix run`) and records it for `--duration`. With `--node` it attaches to a
  running node over distributed Erlang, records there and copies the archive
  back (see `Otpscope.CLI`; the `otpscope_record` escript does the same).

      mix otpscope.record -o trace.zip --duration 10s
      mix otpscope.record --processes MyApp.Worker,MyApp.Cache --modules MyApp.Parser.parse/1
      mix otpscope.record --node app@host --cookie secret --duration 2m -o prod.zip
      mix otpscope.record --cluster --node app@host --cookie secret -o cluster_trace/
      mix otpscope.record --mode ring --keep 30s --dump-on-exit-of MyApp.Worker --duration infinity

  Example output:

      recording :all for 10000 ms ...
      /home/me/app/trace.zip (48213 bytes)
      {"chunks":2,"clock":{"time_offset_ns":"..."},"drops":[],"events_dropped":0,"events_written":21544,...}

  ## Command line options

    * `-o`, `--output` - archive path (default `otpscope-<node>-<time>.zip`)
    * `-p`, `--processes` - `all` (default), `new`, or a comma-separated list
      of registered names and pids (`MyApp.Worker,<0.123.0>`); a name is
      followed to the process a supervisor restarts under it
    * `-m`, `--modules` - comma-separated modules or `Mod.fun/arity` to
      call-trace
    * `--lines` - comma-separated modules or `Mod.fun/arity` to take line
      snapshots in (the variables bound before each expression; see the
      `:lines` option of `Otpscope.start/1`)
    * `--allow-risky` - comma-separated modules that `--modules` and
      `--lines` may name although every process calls them (`:lists`,
      `Enum`, `:gen_server`, ...: refused otherwise, see "Safety" in
      `Otpscope`)
    * `-d`, `--duration` - how long to record: `500ms`, `10s`, `2m`,
      `infinity` (default `10s`)
    * `--mode ring` - flight recorder: keep only the last `--keep` in
      memory and write it into `<output>-001.zip`, `-002.zip`, ... on each
      trigger, and into the output at the end (see "Flight-recorder mode"
      in `Otpscope`); `--keep` - `30s` (default), `2m` or `10000events`;
      `--dump-on-exit-of` - comma-separated names, callback modules and
      pids whose crash writes the window; `--dump-on-telemetry` -
      comma-separated `:telemetry` events (`my_app.incident`) that write it
    * `--sample` - record this fraction of the processes (`0.1`), each
      one whole
    * `--max-events` - stop after this many events (default 1000000)
    * `--max-rate` - events per second above which events are dropped and
      counted (default 100000, or `infinity`)
    * `--max-buffer-memory`, `--max-mailbox-memory` - the recorder's memory
      bounds on the node: `64MB` (the default), `512KB`, `1GB`; raise them to
      keep more of a workload with big messages or states
    * `--no-messages`, `--no-states`, `--no-lifecycle`, `--no-telemetry` -
      leave that part out; `--no-start-states` - do not read the GenServer
      states at start (`:sys.get_state`)
    * `--max-binary`, `--max-list`, `--max-map`, `--max-tuple`,
      `--max-depth` - term size limits
    * `--nodes a@host,b@host` - record several running nodes at once, each
      into `<dir>/<node>.zip` (`-o dir`, default `otpscope-<unix seconds>`);
      `--cluster` (with `--node`) - that node and every node connected to it
    * `--node name@host`, `--cookie c` - attach to a running node (as a
      hidden node: see `Otpscope.Attach`); `--sname` - this client's node
      name (default: unique); `--remote-dir` - where the node writes the
      archive before it is streamed back and removed (default: the node's
      tmp dir). SIGTERM to the task ends an attached recording early and
      copies it back (how `--duration infinity` ends)

  The programmatic equivalent is `Otpscope.record/2` (or `Otpscope.start/1`
  and `Otpscope.stop/0`).
  """

  @impl true
  def run(["--version"]), do: Mix.shell().info(Otpscope.CLI.version_text())

  def run(argv) do
    {opts, cli} =
      try do
        Otpscope.CLI.parse!(argv)
      rescue
        e in [ArgumentError, OptionParser.ParseError] -> Mix.raise(Exception.message(e))
      end

    paths =
      if cli.node || cli.nodes do
        nodes = Enum.join(cli.nodes || [cli.node], ", ")
        Mix.shell().info("recording on #{nodes} for #{cli.duration} ms ...")

        try do
          case Otpscope.CLI.record(opts, cli) do
            {:ok, paths} ->
              paths

            {:error, paths, failures} ->
              Enum.each(paths, &Mix.shell().info(Otpscope.CLI.summary(&1)))
              Mix.raise(Enum.join(failures, "\n"))
          end
        rescue
          e in [ArgumentError, Otpscope.Attach.Error] -> Mix.raise(Exception.message(e))
        end
      else
        Mix.Task.run("app.start")

        Mix.shell().info(
          "recording #{inspect(Keyword.get(opts, :processes, :all))} for #{cli.duration} ms ..."
        )

        case Otpscope.start(opts) do
          {:ok, _} ->
            :ok

          {:error, reason} ->
            Mix.raise("otpscope.record could not start: #{Otpscope.Attach.describe(reason)}")
        end

        case Otpscope.await() do
          {:ok, path} ->
            [path]

          {:error, reason} ->
            Mix.raise("otpscope.record failed: #{Otpscope.Attach.describe(reason)}")
        end
      end

    Enum.each(paths, &Mix.shell().info(Otpscope.CLI.summary(&1)))
  end
end

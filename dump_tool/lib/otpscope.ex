defmodule Otpscope do
  @moduledoc """
  A flight recorder for BEAM systems: records what processes did (lifecycle,
  messages, function calls, GenServer and gen_statem states) into one compact
  `.zip` archive that the otpscope analyzer opens in a browser.

  The archive layout is specified in `docs/FORMAT.md` (format version 2).

  ## Examples

  Record everything for a while:

      {:ok, _recording} = Otpscope.start(file: "trace.zip")
      # ... let the system run ...
      {:ok, "/abs/path/trace.zip"} = Otpscope.stop()

  Record around a function; returns the function's result and the archive:

      {:ok, path} =
        Otpscope.record([file: "ping.zip", processes: :new], fn ->
          {:ok, pid} = GenServer.start(MyServer, 0)
          GenServer.call(pid, :ping)
        end)
        |> then(fn {_result, path} -> {:ok, path} end)

  Trace the calls of chosen modules (arguments, return values, exceptions):

      Otpscope.record([modules: [MyApp.Parser, {MyApp.Repo, :get, 2}]], fn -> ... end)

  Only some processes, no GenServer states, at most 10 000 events for 5 s:

      Otpscope.start(
        processes: [MyApp.Worker, self()],
        states: false,
        max_events: 10_000,
        duration: 5_000
      )

  From the command line: `mix otpscope.record` (see `Mix.Tasks.Otpscope.Record`),
  or the `otpscope_record` escript to attach to a running node.

  ## What is recorded

    * process lifecycle: spawn (parent, child, initial call), exit (reason),
      link/unlink, register/unregister (`lifecycle: true`), and the
      `:global` names and unique Registry keys processes take (calls of
      `:global.register_name/2,3`, `Registry.register/3` and their returns,
      traced for the process facts alone: no events of their own);
    * messages: every send (also to dead processes) and every receive of the
      chosen processes (`messages: true`);
    * GenServer and gen_statem state before and after every callback
      (`states: true`): the callback functions (`init/1`, `handle_call/3`,
      `handle_cast/2`, `handle_info/2`, `handle_continue/2`, `terminate/2`,
      `code_change/3`; gen_statem `init/1`, `handle_event/4` or the state
      functions, `terminate/3`) are call-traced with an `exception_trace`
      match spec, so the state before is in the call's arguments and the state
      after in the return value. User code is not changed. The state of each
      chosen GenServer/gen_statem that already runs is also read once at
      start (`start_states: true`, see the option);
    * calls, returns and exceptions of the `modules:` given;
    * line snapshots of the `lines:` modules: before each expression, the
      line and the variables bound at that point (see the option);
    * `:telemetry.execute/3` calls when `:telemetry` is on the node (loaded
      at start if it is not yet);
    * facts: processes at start and stop (registered name, `$initial_call`,
      `$ancestors`, behaviour and callback module, label on OTP 27+), the
      supervision trees at start and stop, and the source files of traced
      modules when they exist on disk.

  Timestamps come from the `strict_monotonic_timestamp` trace flag; the
  manifest holds the clock mapping to wall-clock time.

  Which GenServers get their states recorded: with `processes: :all` or `:new`,
  every gen_server/gen_statem/supervisor callback module loaded when the
  recording starts, and those of the loaded applications not loaded yet
  (in interactive mode, `iex -S mix` or `mix run`, a module loads on its
  first call: the recorder finds them in their beam files and loads them,
  so a process started later has its `init/1` traced), plus modules of
  processes started later through `proc_lib` (the tracer spots the `gen`
  spawn and the callbacks are traced from then on). **Limit:** for a module
  of no loaded application (put on the code path or compiled after the
  start), the first process's `init/1` (and maybe a first callback) can run
  before its callbacks are traced. With a list of processes: the callback
  modules of those processes, from their `$initial_call`.

  ## Options

    * `:file` - archive path (default `otpscope-<node>-<unix seconds>.zip` in
      the current directory).
    * `:mode` - `:record` (default: everything goes to `:file` as it comes)
      or `:ring` (a flight recorder, see "Flight-recorder mode").
    * `:keep` - ring mode: the window kept, `{seconds, :seconds}` (default
      `{30, :seconds}`) or `{count, :events}`.
    * `:dump_on` - ring mode: what writes the window besides dump/0:
      `exit_of:` a process (pid, registered name, `{:global, name}`,
      `{:via, module, name}`, or a callback module: every process of it)
      or a list of them, exiting with a reason other than `:normal`,
      `:shutdown` or `{:shutdown, _}`; `telemetry:` a `:telemetry` event
      name or a list of them (needs `:telemetry` on the node, else
      `{:error, {:telemetry_not_loaded, message}}`). Default `[]`.
    * `:max_dumps` - ring mode: the most dumps the `:dump_on` triggers
      make over the recording (default `100`; `:infinity`); later triggers
      are skipped, counted in info/0's `:dumps_skipped` and logged once.
      A crash loop under a patient supervisor would otherwise write one
      archive per crash. dump/0 and the archive written at stop are not
      triggered dumps: they are always written and not counted.
    * `:min_dump_interval` - ring mode: milliseconds from one triggered
      dump to the next (default `1_000`); a trigger sooner than that is
      skipped and counted like one past `:max_dumps`. A dump holds the
      whole window, so dumps closer together hold nearly the same events;
      events of a skipped trigger are in the next dump if it comes within
      `:keep`. `0` dumps on every trigger (those that come while a dump is
      written still make one more dump, not one each).
    * `:sample` - the fraction of processes recorded (default `1.0`), each
      chosen by a hash of its pid and recorded whole (its sends, receives,
      calls, exit). Processes outside the sample that ran before the start
      get no trace flags; new ones lose theirs at their `spawned` event
      (with `lifecycle: true`; otherwise their events are only filtered out
      by the tracer). Events of processes outside the sample are not counted
      as drops.
    * `:processes` - `:all` (default: every process, existing and new),
      `:new` (processes spawned after the start), or a list of pids,
      registered names, `{:global, name}` and `{:via, module, name}`. A
      name is followed: once the process holding it exits, the next one to
      hold it (a supervisor's restart) is recorded too, from when the
      recorder finds it (the name is looked up every 10 ms for a second
      after the exit, then every second).
      Ports are never traced (on any OTP version): a process's messages to
      and from a port are its own sends and receives.
    * `:modules` - modules, `{m, f, arity}` (`:_` allowed for `f`/`arity`) or
      `{m, f, arity, match_spec}` to call-trace (local calls included). The
      default match spec is `[{:_, [], [{:exception_trace}]}]`. Default `[]`.
    * `:lines` - modules or `{m, f, arity}` to take line snapshots in
      (default `[]`). Each module is rebuilt from its `debug_info` with a
      call to `Otpscope.Lines.snap/3` before every expression of the chosen
      functions (clause bodies of `case`, `receive`, `if` and `try`
      included), passing the line and the variables bound so far, and
      hot-loaded for the recording; the original object code is loaded back
      at stop. The values computed are unchanged, and snapshots go through
      the same rate limits, memory bounds and term cuts as every event. This
      changes the code that runs on the node, so it is opt-in per module; it
      needs the module's `.beam` on the code path with `debug_info` (Elixir's
      default; releases strip it unless `strip_beams: false`), and refuses
      (`{:error, {:lines, message}}`) otherwise, when a process still runs an
      older version of the module, or when the module has an `on_load`
      function (NIF modules: reloading would run it again). A process that loops inside the
      module itself (its own `receive` loop, not a GenServer's) keeps
      running the original code: it takes no snapshots, and while it runs
      the original cannot be loaded back at stop without killing it, so the
      instrumented version stays loaded (its snapshot calls then do
      nothing) and a warning is logged; a later recording with `lines:` on
      that module, once the process is gone, loads the original back.
      Example:
      `lines: [MyApp.Parser, {MyApp.Worker, :handle_info, 2}]`.
    * `:allow_risky` - modules that `:modules` and `:lines` may name
      although the runtime and nearly every process call them (default `[]`:
      such modules are refused, see "Safety").
    * `:messages` - record sends and receives (default `true`).
    * `:states` - record GenServer/gen_statem states (default `true`).
    * `:start_states` - with `:states`, read the state of every chosen
      GenServer/gen_statem already running when the recording starts, with
      `:sys.get_state/2` before tracing is switched on (default `true`;
      nothing to read with `processes: :new`). One process at a time, at
      most 100 ms each and 1 s in all, the states cut to the term limits and
      holding at most one tracer buffer; a process whose heap is bigger
      than that buffer (`max_buffer_memory` / 8) is not read, since its
      whole state would be copied first. Processes left out (busy,
      suspended, too big, over budget) are counted in the manifest's
      `warnings`.
      `false` sends nothing to your processes.
    * `:lifecycle` - record spawn/exit/link/register (default `true`).
    * `:telemetry` - record `:telemetry.execute/3` (default `true`).
    * `:max_events` - stop after this many events (default `1_000_000`).
    * `:max_rate` - events per second above which events are dropped and
      counted (default `100_000`; `:infinity` to disable).
    * `:duration` - stop after this many milliseconds (default `:infinity`).
    * `:max_binary` (512), `:max_list` (100), `:max_map` (100),
      `:max_tuple` (64), `:max_depth` (20) - term size limits: bigger
      subterms are replaced by `{:"$truncated", what, size, kept}` and
      counted (`docs/FORMAT.md` "Truncated terms").
    * `:owner` - the process whose death stops the recording (default: the
      caller).
    * Tuning (rarely needed): `:chunk_events` (16384 events per chunk and per
      tracer buffer), `:flush_interval` (500 ms), `:max_in_flight` (16
      buffers handed to the encoders and not yet written) and
      `:max_buffer_memory` (64 MB: the most those buffers may hold, counted
      as the flat size of their messages; a ping-pong buffer of 16384 trace
      messages is ~3 MB; a buffer is handed over early once it holds an
      eighth of this), `:encoders` (processes that encode chunks in parallel,
      the writer included: one per scheduler, at most 4), `:high_water` (20 000) / `:low_water` (5 000) /
      `:suspend_water` (60 000) tracer mailbox marks, in messages,
      `:max_mailbox_memory` (default: the value of `:max_buffer_memory`; the
      bytes of trace messages the tracer's mailbox may hold at `:high_water`:
      for big messages the three marks are scaled down together, see
      "Safety"), `:level` (deflate
      level, 1: on the ping-pong benchmark level 6 took twice the time,
      0.67 against 0.31 µs/event, for 1 % smaller chunks; level 9 was 3x
      slower than 6 for < 0.2 % more).

  Invalid options raise `ArgumentError` naming the option and the accepted
  values.

  ## Flight-recorder mode

  `mode: :ring` keeps the last `:keep` of the recording in memory, as
  encoded chunks (a few bytes per event), and writes it as an archive only
  when asked: `dump/0`, a crash of a process named in `dump_on: [exit_of:
  ...]`, or a `:telemetry` event named in `dump_on: [telemetry: ...]`.
  Recording goes on after each dump; `stop/0` writes the last window to
  `:file` and returns it. Dumps go to `<file>-001.zip`, `<file>-002.zip`,
  ... (`dumps/0` lists them). The ring holds at most `:max_buffer_memory`
  bytes: past that the oldest chunks go before they leave the window, and
  the dump's totals say how many events that cost (`evicted_by_memory`).
  A dump cuts the chunks that straddle the window's start, so `{n,
  :events}` is exactly the last n events and `{s, :seconds}` holds no
  event older than s seconds before the dump (docs/FORMAT.md "Flight
  recordings"). `:max_events` applies only when given.

  ## Safety

  The recorder is meant to run on production nodes. Each guarantee below is
  covered by a test in `test/safety_test.exs`.

    * **Bounded memory whatever the event rate.** The tracer process only
      prepends trace messages to a buffer of at most `:chunk_events` messages
      (and at most an eighth of `:max_buffer_memory`; a message bigger than
      8 KB has its payload cut to the term limits as it arrives, so its
      original is never copied) and hands full buffers (or whatever it has every `:flush_interval`) to
      separate encoder processes, which encode and compress them; the writer
      appends them to the file in order. At most `:max_in_flight` buffers,
      holding at most about `:max_buffer_memory` bytes, are being encoded or
      wait for the writer; beyond
      that events are dropped and counted (reason `:buffer`). Above
      `:max_rate` events per second events are dropped and counted (`:rate`).
      Every 256 messages the tracer checks its own mailbox: above
      `:high_water` it discards messages unread, counting them (`:overload`),
      until it is below `:low_water`; if the mailbox still grows past
      `:suspend_water`, tracing is switched off for the chosen processes
      until the tracer caught up, and the gap is recorded as an `:overload`
      drop with count 0 (events that were never generated cannot be
      counted). Another process (the switcher, linked to the recording,
      at high priority) switches the flags, one process at a time, each
      waiting for that process, while the tracer keeps shedding: a tracer
      doing it itself under load let its mailbox reach 750 000 messages
      (172 MB against an 8 MB `:max_mailbox_memory`). The tracer's message
      queue is off-heap.
    * **Bounded in bytes, not only in messages.** The marks count messages,
      and 20 000 trace messages carrying a 15 KB GenServer state each are
      300 MB. At each mailbox check the tracer measures the message in hand
      (and every message big enough to be cut on arrival) into a running
      average of bytes per message, and scales `:high_water`, `:low_water`
      and `:suspend_water` down by the same factor so that `:high_water`
      messages of that average hold at most `:max_mailbox_memory` bytes
      (64 MB by default). With the buffers (`:max_buffer_memory`), the
      recorder's processes (tracer with its mailbox, writer, encoders) hold
      about `:max_mailbox_memory` + `:max_buffer_memory` plus the messages
      that arrive between two mailbox checks: a flood of 16 KB messages from
      4 senders, with both at 8 MB, peaked at 27-39 MB (440-570 MB on the
      mixed benchmark workload before, with the defaults). The average rises
      fast and falls slowly, so on a workload where few messages are big the
      mailbox may shed earlier than needed, never later. Big GenServer
      states are shed first: once a module's callback messages were seen
      to be big (a state of a few MB is copied into two trace messages per
      callback), a mailbox over the marks of the average message but under
      those of the average small one drops only that module's callback
      messages (counted as `:overload`) and records the sends, receives and
      other events around them; over both, everything is shed. Tracing
      switched off under overload comes back on once the mailbox is
      drained, also when no trace message arrives to show it (at the next
      `:flush_interval`). Binaries over 64 bytes inside traced terms are
      shared with the traced processes, not copied: the bounds count a
      message by its flat size, which holds only the reference, so the
      payloads of the messages in flight come on top (a flood of random
      500-byte binaries: about 3x the flat size). Busy encoders collect
      after each chunk, and the flight recorder's ring at each eviction,
      so the binaries of chunks and buffers they are done with are not
      held until a later collection.
    * **Huge states are not copied.** The runtime copies a traced
      callback's arguments and return value (the state before and after)
      into the trace message before the tracer sees it: with 16 MB states
      the tracer's mailbox held 1.7 GB whatever it then did. A GenServer or
      gen_statem whose state is over a sixteenth of `:max_mailbox_memory`
      (4 MB by default) has its calls not traced: found at start (its
      state read inside it, only its size and the cut coming back; one
      whose heap is that big but that does not answer within 2 s, busy
      or on a loaded node, is counted huge all the same), or at
      its first callback message that big (then the tracer sheds what was
      sent until the switch), or once its callback messages over 8 KB copy
      more than `:max_mailbox_memory` bytes within one second, those the
      tracer sheds unread included (a state of
      a few hundred KB changed hundreds of times a second: a
      DynamicSupervisor starting 6,000 children one by one, then 18,000
      calls to them, took 49-55 s recorded before this and 6-9 s after,
      0.3-0.6 s not recorded, at a load average of ~15 on 2 cores; its
      first ~600 starts are traced; a 100,000-key map state, ~3 MB, called
      2,000 times in a row with every process recorded: 40 s and 377 MB in
      the tracer while its shed messages went uncounted, 1.1-1.7 s and
      38-50 MB since). Its state is read every second instead, cut
      to the term limits inside the process by a `:sys.replace_state/3`
      function that throws the cut and leaves the state as it was (the
      system message and its reply are not recorded); the archive has
      these reads as `state` events (docs/FORMAT.md kind 12) and the
      analyzer as states of origin `sampled`. Its sends, receives and
      lifecycle are still recorded; callbacks between two reads are not.
      Tested with 8 and 16 MB states and every scheduler busy: the bound
      above holds, every drop is counted. Messages dropped
      unread are collected as they go (a minor garbage collection once
      more than 512 KB of them were dropped), not kept on the tracer's heap
      until its next collection. The bound holds while the tracer gets the
      CPU: it runs at high priority, so busy processes on every scheduler
      do not delay it, but a machine whose cores are taken by other OS
      processes can keep its scheduler thread off the CPU while the traced
      processes run, and what arrives meanwhile waits in its mailbox.
    * **Every drop is counted**: how many, why, and from when to when, in the
      chunk's `:drops` and in `totals.json`. Written + dropped = traced,
      exactly.
    * **It stops by itself** at `:max_events`, after `:duration`, or when the
      owner (the process that called `start/1`) dies. Stopping removes every
      trace flag and trace pattern the recording set, and nothing else.
    * **It does not take over other tracers.** On OTP 27+ it uses its own
      trace session (`:trace` module), so dbg, recon or observer keep
      working. On older OTP a process has a single tracer: `start/1` refuses
      (returns `{:error, {:already_traced, message}}`) when another tracer
      traces a chosen process or has a pattern on a chosen function, and
      callback functions that already carry someone else's pattern are skipped
      (listed under `warnings` in the manifest).
    * **A module loaded while recorded is traced in full only until the
      recorder narrows it.** To trace the `init/1` of a GenServer whose
      module loads after the start, every module loaded while recorded
      gets a `local` pattern on all its functions as it loads (`on_load`),
      and the recorder, told of the load by a meta pattern on
      `erlang:prepare_loading/2`, takes it off all but the callbacks once
      the code is in place (one code barrier for a module of no behaviour,
      one per other function for a GenServer's). The calls traced
      meanwhile are left out of the archive. On a node loading 500 modules
      back to back, each called 200 times as soon as loaded, the median
      module was narrowed 2 ms after its load, the slowest 15-63 ms after,
      at a cost of 0.6-1.4 ms of CPU per module (load average ~5 on 2
      cores, docs/PERFORMANCE.md). Stopping takes the `on_load` and meta
      patterns off first, then those of any module not narrowed yet.
    * **Big terms are cut** to the size limits, marked and counted.
    * **Crash-safe output.** The archive is a ZIP written entry by entry:
      every chunk is a complete entry (local header with CRC and sizes) as
      soon as it is written, at least every `:flush_interval`, so if the node
      dies (even `kill -9`) the archive is readable up to its last complete
      entry. Only the central directory is written at stop.
    * **It refuses to trace what every process calls.** `:modules` and
      `:lines` naming one of these raise an `ArgumentError` that names the
      module and the risk, unless the module is listed in `:allow_risky`:
      the runtime (`:erlang`, `:erts_internal`, `:erts_debug`,
      `:erl_tracer`, `:prim_file`, `:prim_inet`, `:zlib`, `:error_handler`,
      `:code`, `:code_server`, `:init`), the stdlib everyone calls
      (`:lists`, `:maps`, `:io`, `:io_lib`, `:io_lib_format`, `:unicode`,
      `:binary`, `:ets`, `:file`, `:string`), the machinery of OTP
      processes (`:gen`, `:gen_server`, `:gen_statem`, `:gen_event`,
      `:proc_lib`, `:sys`, `:supervisor`, `:application_controller`,
      `:logger`), Elixir's core (`Kernel`, `Enum`, `Map`, `List`,
      `String`, `IO`, `Process`, `GenServer`, `Keyword`, `Access`), and the
      recorder's own modules. A pattern on them turns every process's
      ordinary work into trace messages: a flood the tracer can only drop,
      and a slower node while it lasts.
    * **A full disk loses nothing silently.** When a write fails, the file
      is cut back to its last complete entry, the recording stops (tracing
      off, as at any stop), the reason is logged, what was on its way to
      the file is dropped unencoded (no stage works for a dead archive),
      and `stop/0` returns `{:error, {:write_failed, path, reason}}`.
  """

  alias Otpscope.{Options, Recorder}

  @typedoc "A running recording."
  @type recording :: %{pid: pid, file: Path.t(), options: map}

  @doc """
  Starts recording. Returns `{:ok, recording}`.

  Returns `{:error, {:already_started, pid}}` when a recording runs on this
  node, `{:error, {:write_failed, path, reason}}` when the archive cannot be
  written (`:enospc`, `:eacces`, ...), `{:error, {:already_traced, message}}` when another tracer is in the
  way (OTP < 27), `{:error, {:not_registered, name}}` or
  `{:error, {:not_alive, pid}}` for bad process lists,
  `{:error, {:lines, message}}` when a `lines:` module cannot be
  instrumented (the message says why). See the moduledoc for the options.
  """
  @spec start(keyword) :: {:ok, recording} | {:error, term}
  def start(opts \\ []), do: start_recording(Options.validate!(opts))

  # For the attach client's agent on the node (Otpscope.Remote): start/1
  # with processes that are no part of the recorded system (the agent, the
  # rpc process that started it, its waiter) left untraced, like the
  # recorder's own processes.
  @doc false
  def start_unrecorded(opts, pids) when is_list(pids),
    do: start_recording(Map.put(Options.validate!(opts), :unrecorded, pids))

  defp start_recording(opts) do
    collect_finished()

    # A refusal (already traced, unknown name, ...) comes back as a message
    # and the recorder stops normally: an init that stops with the reason
    # would also log a crash report for what is only a usage error.
    ref = make_ref()

    case GenServer.start(Recorder, {opts, opts.owner, {self(), ref}}, name: Recorder) do
      {:ok, pid} ->
        {:ok, %{pid: pid, file: opts.file, options: opts}}

      {:error, :normal} ->
        receive do
          {^ref, reason} -> {:error, reason}
        after
          0 -> {:error, :normal}
        end

      {:error, reason} ->
        {:error, reason}
    end
  end

  @doc """
  Stops the recording, finishes the archive and returns `{:ok, archive_path}`.

  Also returns the archive of a recording that already stopped by itself
  (`:max_events`, `:duration`). Returns `{:error, :not_recording}` when there
  is none, and `{:error, {:write_failed, archive_path, reason}}` when writing
  the archive failed (`reason` is a `:file` error such as `:enospc`, a full
  disk): the recording stopped then, logged why, and the archive is
  readable up to its last complete chunk. `{:error, {:recorder_crashed,
  archive_path, reason}}` means the same after a crash of the recorder's
  own processes (a bug).
  """
  @spec stop() :: {:ok, Path.t()} | {:error, term}
  def stop do
    GenServer.call(Recorder, :stop, :infinity)
  catch
    :exit, {:noproc, _} -> {:error, :not_recording}
    :exit, {:normal, _} -> {:error, :not_recording}
  end

  @doc """
  Waits until the recording stops by itself (`:duration` or `:max_events`)
  and returns `{:ok, archive_path}`, or `{:error, :timeout}`.
  """
  @spec await(timeout) :: {:ok, Path.t()} | {:error, term}
  def await(timeout \\ :infinity) do
    GenServer.call(Recorder, :await, timeout)
  catch
    :exit, {:noproc, _} -> {:error, :not_recording}
    :exit, {:timeout, _} -> {:error, :timeout}
  end

  @doc """
  Records while `fun` runs: starts a recording with `opts`, calls `fun`, stops.
  Returns `{fun_result, archive_path}`. If `fun` raises, the recording is
  stopped (the archive is complete) and the exception is re-raised.

      {3, path} = Otpscope.record([file: "t.zip"], fn -> 1 + 2 end)
  """
  @spec record(keyword, (() -> result)) :: {result, Path.t()} when result: term
  def record(opts, fun) when is_function(fun, 0) do
    case start(opts) do
      {:ok, _} ->
        :ok

      {:error, reason} ->
        raise ArgumentError, "Otpscope.record/2 could not start: #{inspect(reason)}"
    end

    result =
      try do
        fun.()
      after
        Process.put(:otpscope_last, stop())
      end

    case Process.delete(:otpscope_last) do
      {:ok, path} ->
        {result, path}

      {:error, reason} ->
        raise "Otpscope.record/2 could not finish the archive: #{inspect(reason)}"
    end
  end

  @doc """
  Ring mode (`mode: :ring`): writes the window kept now into a new archive
  and returns `{:ok, archive_path}`; recording goes on. The archive is
  `<file>-001.zip`, `<file>-002.zip`, ... next to `:file` (the first name
  not taken), or `path` when given.

  Returns `{:error, :not_ring_mode}` for a recording in the default mode,
  `{:error, :not_recording}` when there is none, and `{:error,
  {:write_failed, path, reason}}` when the archive could not be written (the
  window stays in memory: a later dump may succeed).

      {:ok, _} = Otpscope.start(mode: :ring, keep: {30, :seconds}, file: "incident.zip")
      # ... something went wrong ...
      {:ok, "/abs/path/incident-001.zip"} = Otpscope.dump()
  """
  @spec dump(Path.t() | nil) :: {:ok, Path.t()} | {:error, term}
  def dump(path \\ nil) do
    GenServer.call(Recorder, {:dump, path && Path.expand(path)}, :infinity)
  catch
    :exit, {:noproc, _} -> {:error, :not_recording}
    :exit, {:normal, _} -> {:error, :not_recording}
  end

  @doc """
  Ring mode: the archives dumped so far by this recording (by dump/0 and
  by the `:dump_on` triggers), oldest first: `{:ok, paths}`.
  """
  @spec dumps() :: {:ok, [Path.t()]} | {:error, term}
  def dumps do
    GenServer.call(Recorder, :dumps, :infinity)
  catch
    :exit, {:noproc, _} -> {:error, :not_recording}
    :exit, {:normal, _} -> {:error, :not_recording}
  end

  @doc """
  Live figures of the running recording (tracer stats, pids, file). In
  ring mode also `:dumps` (archives written so far) and `:dumps_skipped`
  (triggers not dumped because of `:max_dumps` or `:min_dump_interval`).
  The tracer's figures (`:accepted`, `:dropped`, `:peak_queue`,
  `:suspended`) are left out when it did not answer within a second: it
  answers after the trace messages already in its mailbox.

  Returns `{:error, :not_recording}` when no recording runs, and
  `{:error, :busy}` when the recorder did not answer within 5 s: it is
  stopping (on a busy node, taking its patterns off and finishing the
  archive can take seconds; docs/PERFORMANCE.md).
  """
  def info do
    GenServer.call(Recorder, :info)
  catch
    :exit, {:timeout, _} -> {:error, :busy}
    :exit, _ -> {:error, :not_recording}
  end

  # A recording that stopped by itself waits for stop/0; a new start/1 means
  # nobody will collect it.
  defp collect_finished do
    case Process.whereis(Recorder) do
      nil ->
        :ok

      pid ->
        case :sys.get_state(pid) do
          %{stopped: true} -> stop()
          _ -> :ok
        end
    end
  catch
    :exit, _ -> :ok
  end
end

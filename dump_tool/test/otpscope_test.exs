defmodule OtpscopeTest do
  use ExUnit.Case, async: false

  import Otpscope.Test.Case
  alias Otpscope.Test.ArchiveReader

  setup do
    loaded = loaded_modules()

    on_exit(fn ->
      Otpscope.stop()
      OtpscopeDemo.App.stop_app()
      assert patterns_left(loaded) == []
    end)

    OtpscopeDemo.App.load_modules()
    :ok
  end

  test "start/1 and stop/0 record the demo: sends, receives, states, exits, tree" do
    file = tmp_file("demo.zip")
    {:ok, %{file: ^file}} = Otpscope.start(file: file, processes: :new)
    OtpscopeDemo.App.start_app(worker_a: [notify: self(), interval: 10, until: 3])
    assert_receive {:demo_done, 3}
    Application.stop(:otpscope_demo)
    assert {:ok, ^file} = Otpscope.stop()

    a = ArchiveReader.read(file)
    assert a.scan.central_directory?
    assert a.scan.warnings == []
    assert hd(a.names) == "manifest.json"
    assert List.last(a.names) == "totals.json"
    assert a.manifest =~ ~s("format":"otpscope")

    ev = a.events
    worker_a = registered(ev, OtpscopeDemo.WorkerA)
    worker_b = registered(ev, OtpscopeDemo.WorkerB)
    assert is_pid(worker_a) and is_pid(worker_b)

    # state sequence of A, from init and handle_info returns
    assert Enum.map(ArchiveReader.states(ev, worker_a), & &1.count) == [0, 1, 2, 3]
    assert Enum.map(ArchiveReader.states(ev, worker_b), & &1.pings_received) == [0, 1, 2, 3]

    # the state before each callback is in the call's arguments
    befores =
      for %{kind: :call, pid: ^worker_a, mfa: {_, :handle_info, 2}, term: [:increment, s]} <- ev,
          do: s.count

    assert befores == [0, 1, 2]

    # exact pings: A sends {:"$gen_call", from, {:ping, A, text}} to B, B receives it
    pings =
      for %{
            kind: :send,
            pid: ^worker_a,
            peer: ^worker_b,
            term: {:"$gen_call", _, {:ping, ^worker_a, text}}
          } <- ev,
          do: text

    assert pings == ["hello from A #1", "hello from A #2", "hello from A #3"]

    received =
      for %{kind: :receive, pid: ^worker_b, term: {:"$gen_call", _, {:ping, _, text}}} <- ev,
          do: text

    assert received == pings

    # replies go to the caller's alias and are received by A
    replies =
      for %{kind: :send, pid: ^worker_b, peer: ref, term: {[:alias | ref], :ok}} <- ev, do: ref

    assert length(replies) == 3

    assert Enum.count(ev, &match?(%{kind: :receive, pid: ^worker_a, term: :increment}, &1)) == 3

    # lifecycle: spawns by the supervisor, the exits at application stop
    sup = registered(ev, OtpscopeDemo.Supervisor)

    assert Enum.any?(
             ev,
             &match?(
               %{kind: :spawn, pid: ^sup, peer: ^worker_a, mfa: {:proc_lib, :init_p, 5}},
               &1
             )
           )

    assert Enum.any?(ev, &match?(%{kind: :exit, pid: ^worker_a, term: :shutdown}, &1))
    assert Enum.any?(ev, &match?(%{kind: :link, pid: ^sup, peer: ^worker_a}, &1))

    # events are in strictly increasing u and non-decreasing ts
    us = Enum.map(ev, & &1.u)
    assert us == Enum.uniq(Enum.sort(us))

    # facts: the processes seen, and sources of the traced callback modules
    stop_facts = Map.new(a.processes_stop, &{&1.pid, &1})
    assert stop_facts[worker_a].status == :exited
    assert stop_facts[worker_a].initial_call == {:proc_lib, :init_p, 5}

    assert {"Elixir.OtpscopeDemo.WorkerA.ex", text} =
             List.keyfind(a.sources, "Elixir.OtpscopeDemo.WorkerA.ex", 0)

    assert text =~ "defmodule OtpscopeDemo.WorkerA"
    # the file it came from, relative to the node's working directory
    assert %{
             entry: "sources/Elixir.OtpscopeDemo.WorkerA.ex",
             path: "test/support/demo/worker_a.ex"
           } = Enum.find(a.source_files, &(&1.module == OtpscopeDemo.WorkerA))

    assert a.manifest =~ ~s("format_version":6)
    assert is_list(a.tree_start) and is_list(a.tree_stop)
    assert a.totals =~ ~s("stop_reason":"stop")
  end

  defmodule Point do
    # fields not in alphabetical order: inspect prints them as defined
    defstruct [:y, :x, label: "p"]
  end

  # Regression test: a process awaiting the end exited with the recorder ({:normal, {GenServer, :call, ...}}) when
  # another one stopped it; attach mode's agent, which stops the recording on the client's SIGTERM, hung on it.
  test "await/1 returns stop/0's result when another process stops the recording" do
    file = tmp_file("await_stop.zip")
    {:ok, _} = Otpscope.start(file: file, duration: :infinity)
    waiter = Task.async(fn -> Otpscope.await() end)

    eventually(fn ->
      Process.info(waiter.pid, :current_function) == {:current_function, {:gen, :do_call, 4}}
    end)

    assert {:ok, ^file} = Otpscope.stop()
    assert Task.await(waiter) == {:ok, file}
  end

  # Regression test: on a busy node a recorder stopping (its owner gone, or a full disk) took tens of seconds,
  # and info/0 meanwhile said {:error, :not_recording}.
  test "info/0 says the recorder is busy, not that nothing records, when it does not answer" do
    file = tmp_file("busy_info.zip")
    {:ok, _} = Otpscope.start(file: file, processes: [self()])
    # held still, as a recorder in the middle of stopping is
    :ok = :sys.suspend(Otpscope.Recorder)

    info =
      try do
        Otpscope.info()
      after
        :sys.resume(Otpscope.Recorder)
      end

    assert info == {:error, :busy}
    assert %{file: ^file} = Otpscope.info()
    assert {:ok, ^file} = Otpscope.stop()
    assert Otpscope.info() == {:error, :not_recording}
  end

  test "facts/structs.etf: the loaded structs that inspect prints as %Mod{...}, fields in definition order" do
    Code.ensure_loaded(Point)
    Code.ensure_loaded(URI)
    Code.ensure_loaded(Range)
    # loaded by the first raise of the run, which another test may or may not have made yet
    Code.ensure_loaded(RuntimeError)
    file = tmp_file("structs.zip")
    {_, ^file} = Otpscope.record([file: file, processes: :new], fn -> :ok end)
    structs = ArchiveReader.read(file).structs
    assert %{module: Point, fields: [:y, :x, :label]} in structs
    assert %{module: RuntimeError, fields: [:__exception__, :message]} in structs

    # a struct with an Inspect implementation of its own (Range, URI's derived one) is not one of them
    refute Enum.any?(structs, &(&1.module in [Range, URI]))
  end

  # Regression test: a struct module of the project that nothing had loaded (a Mix project in interactive mode:
  # `%Mod{}` builds a map at compile time, so the module is loaded only when inspect/1 first prints one) was not
  # listed, and every such struct in the archive rendered as a map.
  test "facts/structs.etf lists the struct modules of loaded applications not loaded yet" do
    mod = :"Elixir.OtpscopeTest.NotLoaded#{System.unique_integer([:positive])}"
    # the beam in a directory of its own, not an application's ebin: found through the code path
    dir = Path.join(System.tmp_dir!(), "otpscope_structs_#{System.unique_integer([:positive])}")

    with_unloaded_module(dir, "defmodule #{inspect(mod)} do defstruct [:b, :a] end", fn ->
      file = tmp_file("structs-unloaded.zip")
      {_, ^file} = Otpscope.record([file: file, processes: :new], fn -> :ok end)
      assert %{module: mod, fields: [:b, :a]} in ArchiveReader.read(file).structs
      # its fields read from its debug info: not loaded
      refute :erlang.module_loaded(mod)
    end)
  end

  test "facts/structs.etf lists a struct module not loaded yet whose beam has no debug info (loaded to ask it)" do
    mod = :"Elixir.OtpscopeTest.Stripped#{System.unique_integer([:positive])}"
    dir = Path.join(System.tmp_dir!(), "otpscope_stripped_#{System.unique_integer([:positive])}")

    with_unloaded_module(
      dir,
      "defmodule #{inspect(mod)} do defstruct [:b, :a] end",
      fn ->
        file = tmp_file("structs-stripped.zip")
        {_, ^file} = Otpscope.record([file: file, processes: :new], fn -> :ok end)
        assert %{module: mod, fields: [:b, :a]} in ArchiveReader.read(file).structs
      end,
      strip: true
    )
  end

  # Regression test: in interactive mode (`iex -S mix`, `mix run`) a module is loaded on its first call, and a trace
  # pattern takes only on a loaded module: a GenServer of the project started while recorded, whose module nothing had
  # loaded, had its callbacks traced only once the tracer saw its spawn, so its init/1 (the state at its start) and
  # its first calls were missing.
  test "a GenServer whose module is not loaded when recording starts has its init and first call traced" do
    mod = :"Elixir.OtpscopeTest.LazyServer#{System.unique_integer([:positive])}"

    source = """
    defmodule #{inspect(mod)} do
      use GenServer
      def init(n), do: {:ok, %{n: n, calls: 0}}
      def handle_call(:get, _from, s), do: {:reply, s.n, %{s | calls: s.calls + 1}}
    end
    """

    # laid out as a Mix project's build is: the application's directory, its beams in ebin
    base = Path.join(System.tmp_dir!(), "otpscope_lazy_#{System.unique_integer([:positive])}")

    with_unloaded_module(Path.join([base, "otpscope_lazy", "ebin"]), source, fn ->
      file = tmp_file("lazy-server.zip")

      {pid, ^file} =
        Otpscope.record([file: file, processes: :new], fn ->
          {:ok, pid} = GenServer.start_link(mod, 7)
          7 = GenServer.call(pid, :get)
          GenServer.stop(pid)
          pid
        end)

      events = ArchiveReader.read(file).events
      assert [%{n: 7, calls: 0}, %{n: 7, calls: 1} | _] = ArchiveReader.states(events, pid)

      assert [:init, :handle_call] ==
               for(%{pid: ^pid, kind: :call, mfa: {^mod, f, _}} <- events, do: f) -- [:terminate]
    end)

    File.rm_rf!(base)
  end

  # Regression test for callbacks of a module loaded after the start traced only from its first process's spawn
  # (after its init/1 had run): a GenServer typed into IEx, or compiled, after Otpscope.start.
  test "a GenServer compiled while recorded has its init and first call traced, and none of its other functions" do
    n = System.unique_integer([:positive])
    mod = :"Elixir.OtpscopeTest.LateServer#{n}"
    plain = :"Elixir.OtpscopeTest.LatePlain#{n}"

    source = """
    defmodule #{inspect(mod)} do
      use GenServer
      def start_link(n), do: GenServer.start_link(__MODULE__, n)
      def get(pid), do: GenServer.call(pid, :get)
      def init(n), do: {:ok, %{n: n, calls: 0}}
      def handle_call(:get, _from, s), do: {:reply, s.n, bump(s)}
      defp bump(s), do: %{s | calls: s.calls + 1}
    end
    defmodule #{inspect(plain)} do
      def twice(x), do: 2 * x
    end
    """

    file = tmp_file("late-server.zip")

    try do
      # :all: this process, which calls the module's API, is traced too
      {pid, ^file} =
        Otpscope.record([file: file, processes: :all], fn ->
          [_, _] = Code.compile_string(source)
          {:ok, pid} = mod.start_link(7)
          7 = mod.get(pid)
          4 = plain.twice(2)

          # narrowed to its callbacks: the module's other functions, and a module of no behaviour, untraced
          eventually(fn ->
            traced({mod, :get, 1}) == false and traced({mod, :bump, 1}) == false and
              traced({plain, :twice, 1}) == false
          end)

          assert traced({mod, :handle_call, 3}) == :local
          GenServer.stop(pid)
          pid
        end)

      events = ArchiveReader.read(file).events
      assert [%{n: 7, calls: 0}, %{n: 7, calls: 1} | _] = ArchiveReader.states(events, pid)

      assert [:init, :handle_call, :terminate] ==
               for(%{kind: :call, mfa: {^mod, f, _}} <- events, do: f)

      assert [] == for(%{kind: :call, mfa: {^plain, _, _}} = e <- events, do: e)
      # nothing stays set on the node
      assert :erlang.trace_info({mod, :handle_call, 3}, :traced) == {:traced, false}
      assert :erlang.trace_info(:on_load, :traced) == {:traced, false}
    after
      for m <- [mod, plain], do: Enum.each([:purge, :delete, :purge], &apply(:code, &1, [m]))
    end
  end

  # Regression test for a hot code load taking the trace patterns of the module's callbacks with it.
  test "a GenServer's module loaded again while recorded (a hot code load) keeps its callbacks traced" do
    mod = :"Elixir.OtpscopeTest.ReloadedServer#{System.unique_integer([:positive])}"

    source = fn reply ->
      """
      defmodule #{inspect(mod)} do
        use GenServer
        def init(n), do: {:ok, %{n: n, calls: 0}}
        def handle_call(:get, _from, s), do: {:reply, #{reply}, %{s | calls: s.calls + 1}}
      end
      """
    end

    [{^mod, _}] = Code.compile_string(source.("s.n"))
    {:ok, pid} = GenServer.start(mod, 7)
    file = tmp_file("reloaded-server.zip")

    try do
      {_, ^file} =
        Otpscope.record([file: file, processes: [pid]], fn ->
          7 = GenServer.call(pid, :get)
          Code.put_compiler_option(:ignore_module_conflict, true)
          [{^mod, _}] = Code.compile_string(source.("s.n + 100"))
          107 = GenServer.call(pid, :get)
        end)

      events = ArchiveReader.read(file).events
      assert [%{calls: 1}, %{calls: 2}] = ArchiveReader.states(events, pid)

      assert [:handle_call, :handle_call] ==
               for(%{kind: :call, mfa: {^mod, f, _}} <- events, do: f)
    after
      Code.put_compiler_option(:ignore_module_conflict, false)
      GenServer.stop(pid)
      Enum.each([:purge, :delete, :purge], &apply(:code, &1, [mod]))
    end
  end

  # The trace pattern of `mfa` in the running recording (false, :global, :local).
  defp traced(mfa) do
    t = :sys.get_state(Otpscope.Recorder).trace

    {:traced, how} =
      case t.backend do
        :session -> apply(:trace, :info, [t.session, mfa, :traced])
        :legacy -> :erlang.trace_info(mfa, :traced)
      end

    how
  end

  # Compiles `source` (one module), writes its beam into `dir` (removed after) and unloads it, and loads an
  # application (named as `dir`'s parent when `dir` is an ebin, as `:code.lib_dir/1` finds a Mix project's) whose
  # modules it is: a project's module that nothing has called yet, as in interactive mode. Then runs `fun`.
  # `strip: true`: the beam without its debug info, as `mix release`'s `strip_beams` writes it.
  defp with_unloaded_module(dir, source, fun, opts \\ []) do
    File.mkdir_p!(dir)

    # with debug info, as `mix compile` writes a project's beams (`mix test` on Elixir 1.18 compiles without it)
    debug_info = Code.get_compiler_option(:debug_info)
    Code.put_compiler_option(:debug_info, true)
    [{mod, beam}] = Code.compile_string(source)
    Code.put_compiler_option(:debug_info, debug_info)
    {:ok, {^mod, beam}} = if opts[:strip], do: :beam_lib.strip(beam), else: {:ok, {mod, beam}}
    File.write!(Path.join(dir, "#{mod}.beam"), beam)
    unload = fn -> Enum.each([:purge, :delete, :purge], &apply(:code, &1, [mod])) end
    unload.()
    true = :code.add_patha(String.to_charlist(dir))

    app =
      if Path.basename(dir) == "ebin",
        do: String.to_atom(Path.basename(Path.dirname(dir))),
        else: :"otpscope_unloaded_app#{System.unique_integer([:positive])}"

    spec = [
      description: ~c"unloaded",
      vsn: ~c"1.0.0",
      modules: [mod],
      registered: [],
      applications: [:kernel, :stdlib]
    ]

    :ok = :application.load({:application, app, spec})

    try do
      refute :erlang.module_loaded(mod)
      fun.()
    after
      :application.unload(app)
      :code.del_path(String.to_charlist(dir))
      File.rm_rf!(dir)
      unload.()
    end
  end

  test "the supervision tree is recorded at start and stop" do
    OtpscopeDemo.App.start_app(worker_a: [until: 0])
    file = tmp_file("tree.zip")
    {_, ^file} = Otpscope.record([file: file, processes: :new], fn -> :ok end)
    a = ArchiveReader.read(file)

    for tree <- [a.tree_start, a.tree_stop] do
      demo = Enum.find(tree, &(&1.application == :otpscope_demo))
      assert demo.name == OtpscopeDemo.Supervisor
      assert demo.type == :supervisor
      ids = Enum.map(demo.children, & &1.id)
      assert OtpscopeDemo.WorkerA in ids and OtpscopeDemo.WorkerB in ids
      assert Enum.all?(demo.children, &(&1.type == :worker and is_pid(&1.pid)))
    end

    facts = Map.new(a.processes_start, &{&1.registered_name, &1})
    assert facts[OtpscopeDemo.WorkerA].behaviour == :gen_server
    assert facts[OtpscopeDemo.WorkerA].module == OtpscopeDemo.WorkerA
    assert facts[OtpscopeDemo.WorkerA].dictionary_initial_call == {OtpscopeDemo.WorkerA, :init, 1}
    assert facts[OtpscopeDemo.Supervisor].behaviour == :supervisor
  end

  test "record/2 returns the function's result and the archive path" do
    file = tmp_file("rec.zip")
    assert {3, ^file} = Otpscope.record([file: file, processes: [self()]], fn -> 1 + 2 end)
    assert File.exists?(file)
  end

  test "the API's own calls to the recorder (info/0 while recording, record/2's stop) are not recorded" do
    file = tmp_file("api.zip")
    me = self()

    {recorder, ^file} =
      Otpscope.record([file: file, processes: [self()]], fn ->
        send(me, :before)
        assert %{} = Otpscope.info()
        send(me, :after)
        receive do: (:before -> :ok)
        Process.whereis(Otpscope.Recorder)
      end)

    a = ArchiveReader.read(file)
    mine = Enum.filter(a.events, &(&1.pid == me))
    # the process's own messages are there
    assert [:before, :after] ==
             for(%{kind: :send, term: t} <- mine, t in [:before, :after], do: t)

    assert Enum.any?(mine, &match?(%{kind: :receive, term: :before}, &1))

    # nothing sent to the recorder (info/0's call, stop/0's), no reply from it received (a call's tag: a ref or [:alias | ref])
    assert is_pid(recorder)
    refute Enum.any?(mine, &(&1.kind == :send and &1.peer == recorder))

    assert [] ==
             for(
               %{kind: :receive, term: {tag, _}} <- mine,
               is_reference(tag) or is_list(tag),
               do: tag
             )
  end

  test "the recorder's own requests to recorded processes are not recorded (every process traced)" do
    file = tmp_file("own.zip")
    # a GenServer module loaded only after the recording started: the recorder then finds its
    # callbacks and source (its working directory from the file server, before)
    name = :"Elixir.OwnTrafficServer#{System.unique_integer([:positive])}"

    Otpscope.record([file: file, processes: :all], fn ->
      [{mod, _}] =
        Code.compile_string("""
        defmodule #{inspect(name)} do
          use GenServer
          def init(x), do: {:ok, x}
          def handle_call(:get, _from, x), do: {:reply, x, x}
        end
        """)

      {:ok, srv} = GenServer.start(mod, 1)
      1 = GenServer.call(srv, :get)
      # a gen_event manager starts with no callback module (:"no callback module" in its args)
      {:ok, em} = :gen_event.start()
      Process.sleep(50)
      :gen_event.stop(em)
      GenServer.stop(srv)
    end)

    a = ArchiveReader.read(file)
    recorded = MapSet.new(for %{pid: p} <- a.events, do: p)

    # no request from a process that was never recorded (the recorder's own), received by a recorded one
    assert [] ==
             for(
               %{kind: :receive, term: t} <- a.events,
               from = requester(t),
               from != nil and not MapSet.member?(recorded, from),
               do: t
             )

    # and the code server never looked for a module called "no callback module"
    assert [] ==
             for(
               %{kind: :send, term: {_, {:get_file, path}}} <- a.events,
               List.to_string(path) =~ "no callback module",
               do: path
             )
  end

  defp requester({:"$gen_call", {from, _}, _}), do: from
  defp requester({:code_call, from, _}), do: from
  defp requester(_), do: nil

  # Regression test: on OTP < 27 the recorder turned on :erlang.trace(:new, ...), which traces every port opened
  # after the start too (the :trace sessions of OTP 27 trace no ports): their sends and receives were recorded.
  test "processes: :new and :all trace the new processes, not the ports they open" do
    for spec <- [:new, :all] do
      file = tmp_file("ports-#{spec}.zip")
      {:ok, _} = Otpscope.start(file: file, processes: spec)

      {owner, port} =
        Task.async(fn ->
          port = Port.open({:spawn, "cat"}, [:binary])
          send(port, {self(), {:command, "hi\n"}})
          assert_receive {^port, {:data, "hi\n"}}
          Port.close(port)
          {self(), port}
        end)
        |> Task.await()

      {:ok, _} = Otpscope.stop()
      ev = ArchiveReader.read(file).events
      # the process's side is recorded: its send to the port, the port's data it received
      assert Enum.any?(ev, &match?(%{kind: :send, pid: ^owner, peer: ^port}, &1))
      assert Enum.any?(ev, &match?(%{kind: :receive, pid: ^owner, term: {^port, {:data, _}}}, &1))
      # nothing of the port itself
      assert for(%{pid: p} = e <- ev, is_port(p), do: e) == [], "events of a port (#{spec})"
    end
  end

  test "record/2 stops the recording when the function raises" do
    file = tmp_file("raise.zip")

    assert_raise RuntimeError, "inside", fn ->
      Otpscope.record([file: file, processes: [self()]], fn -> raise "inside" end)
    end

    assert Process.whereis(Otpscope.Recorder) == nil
    assert ArchiveReader.read(file).scan.central_directory?
  end

  test "modules: records calls, returns and exceptions, and cuts big terms" do
    file = tmp_file("calls.zip")
    me = self()

    pid =
      spawn(fn ->
        receive do: (:go -> :ok)
        OtpscopeDemo.Calc.mean(Enum.to_list(1..30))

        try do
          OtpscopeDemo.Calc.parse!("x")
        rescue
          ArgumentError -> :ok
        end

        send(me, :calc_done)
      end)

    {:ok, _} =
      Otpscope.start(
        file: file,
        processes: [pid],
        modules: [OtpscopeDemo.Calc],
        max_list: 10,
        states: false
      )

    send(pid, :go)
    assert_receive :calc_done
    {:ok, _} = Otpscope.stop()
    a = ArchiveReader.read(file)
    calls = for %{kind: :call, mfa: mfa} <- a.events, do: mfa
    assert {OtpscopeDemo.Calc, :mean, 1} in calls
    # local calls too
    assert {OtpscopeDemo.Calc, :count, 1} in calls
    assert Enum.count(calls, &(&1 == {OtpscopeDemo.Calc, :sum, 1})) == 31

    assert %{term: [{:"$truncated", :list, 30, kept}]} =
             Enum.find(a.events, &match?(%{kind: :call, mfa: {_, :mean, 1}}, &1))

    assert kept == Enum.to_list(1..10)

    assert %{term: 465} =
             Enum.find(a.events, &match?(%{kind: :return, mfa: {_, :sum, 1}, term: 465}, &1))

    assert %{term: {:error, %ArgumentError{}}} =
             Enum.find(a.events, &match?(%{kind: :exception, mfa: {_, :parse!, 1}}, &1))

    assert a.totals =~ ~r/"terms_truncated":[1-9]/
  end

  # Regression test for the tracer's early cut: messages over 1024 words are
  # cut as they arrive (Otpscope.Tracer), small ones by the encoder; both
  # must give what the limits say, and be counted.
  test "a big message is cut to the limits and counted, like a small one" do
    file = tmp_file("big.zip")
    me = self()

    pid =
      spawn(fn ->
        receive do: (:go -> :ok)
        send(me, {:big, Map.new(1..500, &{&1, {&1, "value"}})})
        send(me, {:small, Enum.to_list(1..30)})
      end)

    {:ok, _} = Otpscope.start(file: file, processes: [pid], max_list: 10, states: false)
    send(pid, :go)
    assert_receive {:big, _}
    assert_receive {:small, _}
    {:ok, _} = Otpscope.stop()
    a = ArchiveReader.read(file)
    sends = for %{kind: :send, term: term} <- a.events, do: term

    assert [{:big, {:"$truncated", :map, 500, kept}}, {:small, {:"$truncated", :list, 30, ten}}] =
             sends

    assert map_size(kept) == 100
    assert Enum.all?(kept, fn {k, v} -> v == {k, "value"} end)
    assert ten == Enum.to_list(1..10)
    assert a.totals =~ ~r/"terms_truncated":2/
  end

  test "gen_statem state functions are recorded as call/return with the data" do
    file = tmp_file("statem.zip")
    {:ok, _} = Otpscope.start(file: file, processes: :new)

    Task.async(fn ->
      {:ok, door} = OtpscopeDemo.Door.start_link([1, 2])
      Enum.each([1, 2], &OtpscopeDemo.Door.press/1)
      # the door locks itself again after its 30 ms state timeout
      eventually(fn -> match?({:locked, _}, :sys.get_state(door)) end)
      :gen_statem.stop(door)
    end)
    |> Task.await()

    {:ok, _} = Otpscope.stop()
    ev = ArchiveReader.read(file).events
    door = registered(ev, OtpscopeDemo.Door)

    returns =
      for %{kind: :return, pid: ^door, mfa: {OtpscopeDemo.Door, f, _}, term: t} <- ev,
          do: {f, elem(t, 0)}

    assert returns == [
             init: :ok,
             locked: :keep_state,
             locked: :next_state,
             open: :next_state
           ]
  end

  test "telemetry: :telemetry.execute/3 calls become telemetry events" do
    file = tmp_file("telemetry.zip")
    # A stand-in :telemetry module (the real one is a hex package).
    Code.compile_string("defmodule :telemetry do\n def execute(_e, _m, _md), do: :ok\nend")

    try do
      {_, _} =
        Otpscope.record([file: file, processes: [self()]], fn ->
          apply(:telemetry, :execute, [[:demo, :tick], %{value: 1}, %{source: :test}])
        end)

      ev = ArchiveReader.read(file).events

      assert [
               %{
                 term: {[:demo, :tick], %{value: 1}, %{source: :test}},
                 mfa: {:telemetry, :execute, 3}
               }
             ] = Enum.filter(ev, &(&1.kind == :telemetry))
    after
      :code.purge(:telemetry)
      :code.delete(:telemetry)
      :code.purge(:telemetry)
    end
  end

  # Regression test: in interactive mode (`iex -S mix`, `mix run`) a module is loaded on its first call, and only
  # a loaded module's calls can be traced: an app that calls :telemetry.execute/3 only after the recording started
  # had no telemetry events.
  test "telemetry: a :telemetry module on the code path but not loaded yet is loaded and traced" do
    file = tmp_file("telemetry-lazy.zip")
    dir = Path.dirname(tmp_file("telemetry.beam"))

    [{:telemetry, beam}] =
      Code.compile_string("defmodule :telemetry do\n def execute(_e, _m, _md), do: :ok\nend")

    :code.purge(:telemetry)
    :code.delete(:telemetry)
    :code.purge(:telemetry)
    File.write!(Path.join(dir, "telemetry.beam"), beam)
    Code.prepend_path(dir)
    refute :code.is_loaded(:telemetry)

    try do
      {_, _} =
        Otpscope.record([file: file, processes: [self()]], fn ->
          apply(:telemetry, :execute, [[:demo, :lazy], %{value: 2}, %{}])
        end)

      assert [%{term: {[:demo, :lazy], %{value: 2}, %{}}}] =
               Enum.filter(ArchiveReader.read(file).events, &(&1.kind == :telemetry))
    after
      Code.delete_path(dir)
      :code.purge(:telemetry)
      :code.delete(:telemetry)
      :code.purge(:telemetry)
    end
  end

  # Regression test: `{file, "trace.zip"}` from `erl` (a charlist, Erlang's string) raised "expected a non-empty path
  # string".
  test "record/2 takes the file as a charlist, as Erlang writes a path" do
    file =
      Path.join(System.tmp_dir!(), "otpscope-charlist-#{System.unique_integer([:positive])}.zip")

    try do
      assert {:done, ^file} =
               Otpscope.record([file: String.to_charlist(file), processes: :new], fn -> :done end)

      assert File.exists?(file)
    after
      File.rm(file)
    end

    assert_raise ArgumentError, ~r/:file.*non-empty path string/, fn ->
      Otpscope.start(file: [])
    end
  end

  test "start/1 raises ArgumentError naming the option and the accepted values" do
    assert_raise ArgumentError, ~r/:processes.*:all, :new, or a non-empty list/, fn ->
      Otpscope.start(processes: :some)
    end

    assert_raise ArgumentError, ~r/:max_events.*positive integer or :infinity/, fn ->
      Otpscope.start(max_events: 0)
    end

    assert_raise ArgumentError, ~r/:messages.*true or false/, fn ->
      Otpscope.start(messages: :yes)
    end

    assert_raise ArgumentError, ~r/unknown option :colour/, fn -> Otpscope.start(colour: :red) end
    assert_raise ArgumentError, ~r/:max_binary/, fn -> Otpscope.start(max_binary: -1) end
    assert_raise ArgumentError, ~r/:modules/, fn -> Otpscope.start(modules: ["x"]) end

    assert_raise ArgumentError, ~r/:max_mailbox_memory.*positive integer/, fn ->
      Otpscope.start(max_mailbox_memory: 0)
    end
  end

  test "start/1 refuses to trace what every process calls unless allowed by name" do
    assert_raise ArgumentError,
                 ~r/:modules: refusing :lists: nearly every process calls it all the time.*allow_risky: \[:lists\]/,
                 fn -> Otpscope.start(modules: [{:lists, :reverse, 1}]) end

    for mod <- [:erlang, :gen, :proc_lib, :io, Enum, :gen_server] do
      assert_raise ArgumentError, ~r/refusing #{inspect(mod)}/, fn ->
        Otpscope.start(modules: [mod])
      end
    end

    assert_raise ArgumentError,
                 ~r/:lines: refusing Otpscope.Tracer: the recorder's own module/,
                 fn ->
                   Otpscope.start(lines: [Otpscope.Tracer])
                 end

    # nothing was started by the refusals
    assert Process.whereis(Otpscope.Recorder) == nil

    # allowed by name: traced
    file = tmp_file("risky.zip")
    pid = spawn(fn -> receive(do: (:go -> :lists.reverse([1, 2]))) end)

    {:ok, _} =
      Otpscope.start(
        file: file,
        processes: [pid],
        modules: [{:lists, :reverse, 1}],
        allow_risky: [:lists],
        states: false
      )

    send(pid, :go)
    await_exits([pid])
    {:ok, ^file} = Otpscope.stop()
    events = ArchiveReader.read(file).events
    assert Enum.any?(events, &match?(%{kind: :call, mfa: {:lists, :reverse, 1}}, &1))
  end

  test "a user's module named Otpscope.* is the user's: traced like any other" do
    # a module of the user's whose name begins with the recorder's (an app called otpscope_*, say)
    user_mod = Module.concat([Otpscope, UserApp, Door])
    quoted = quote(do: def(open(n), do: n + 1))
    {:module, ^user_mod, _, _} = Module.create(user_mod, quoted, Macro.Env.location(__ENV__))
    refute Otpscope.Callbacks.own?(user_mod)
    assert Otpscope.Callbacks.own?(Otpscope.Tracer)

    file = tmp_file("user_namespace.zip")
    pid = spawn(fn -> receive(do: (:go -> user_mod.open(1))) end)
    {:ok, _} = Otpscope.start(file: file, processes: [pid], modules: [user_mod], states: false)
    send(pid, :go)
    await_exits([pid])
    {:ok, ^file} = Otpscope.stop()
    events = ArchiveReader.read(file).events
    assert Enum.any?(events, &match?(%{kind: :call, mfa: {^user_mod, :open, 1}}, &1))
  end

  defmodule Slow do
    use GenServer
    def init(s), do: {:ok, s}

    # busy until told to go on: a wait that a loaded machine cannot outlast
    def handle_call({:block, test}, _from, s) do
      send(test, {:blocked, self()})
      receive do: (:unblock -> :ok)
      {:reply, :ok, s}
    end
  end

  test "the state of every GenServer at start is read (:sys.get_state) before tracing starts" do
    OtpscopeDemo.App.start_app(worker_a: [notify: self(), interval: 10, until: 2])
    assert_receive {:demo_done, 2}
    worker_a = Process.whereis(OtpscopeDemo.WorkerA)
    worker_b = Process.whereis(OtpscopeDemo.WorkerB)
    # one GenServer busy for longer than a snapshot may wait
    {:ok, slow} = GenServer.start(Slow, :slow_state)
    me = self()
    spawn(fn -> GenServer.call(slow, {:block, me}, :infinity) end)
    assert_receive {:blocked, ^slow}

    file = tmp_file("start_states.zip")
    {:ok, _} = Otpscope.start(file: file, processes: [worker_a, worker_b, slow, self()])
    :ok = OtpscopeDemo.WorkerA.get_count() |> then(fn 2 -> :ok end)
    {:ok, ^file} = Otpscope.stop()

    a = ArchiveReader.read(file)
    snaps = for %{kind: :state} = e <- a.events, do: e
    by_pid = Map.new(snaps, &{&1.pid, {&1.mfa, &1.term}})
    assert map_size(by_pid) == 2
    assert by_pid[worker_a] == {{OtpscopeDemo.WorkerA, :init, 1}, %{count: 2, last_caller: nil}}
    assert {{OtpscopeDemo.WorkerB, :init, 1}, b_state} = by_pid[worker_b]
    assert b_state.pings_received == 2
    # before every traced event of the recording, in the archive's time order
    first_traced = Enum.find(a.events, &(&1.kind != :state))
    assert Enum.all?(snaps, &(&1.u < first_traced.u and &1.ts <= first_traced.ts))
    # no trace of the :sys.get_state system messages
    refute Enum.any?(a.events, &match?(%{term: {:system, _, :get_state}}, &1))
    # the busy one is left out and counted
    assert a.manifest =~ "the state of 1 GenServer/gen_statem process(es) could not be read"

    # start_states: false reads nothing
    file2 = tmp_file("no_start_states.zip")
    {:ok, _} = Otpscope.start(file: file2, processes: [worker_a], start_states: false)
    {:ok, ^file2} = Otpscope.stop()
    refute Enum.any?(ArchiveReader.read(file2).events, &(&1.kind == :state))
    send(slow, :unblock)
    GenServer.stop(slow)
  end

  test "start states: a GenServer whose state is too big to trace is read cut inside it, and its calls are not traced" do
    {:ok, big} = GenServer.start(Slow, Enum.to_list(1..200_000))
    {:ok, small} = GenServer.start(Slow, :small)
    file = tmp_file("big_state.zip")
    # huge: over max_mailbox_memory / 16 (at least 512 KB); the big state is ~3 MB
    {:ok, _} = Otpscope.start(file: file, processes: [big, small], max_buffer_memory: 800_000)
    assert [{^big, Slow}] = Otpscope.info().huge_states
    {:ok, ^file} = Otpscope.stop()
    a = ArchiveReader.read(file)

    assert [
             %{pid: ^big, term: {:"$truncated", :list, 200_000, [1, 2 | _]}},
             %{pid: ^small, term: :small}
           ] = for(%{kind: :state} = e <- a.events, do: e)

    assert a.manifest =~ "is 3.2 MB: its calls are not traced"
    refute a.manifest =~ "could not be read"
    GenServer.stop(big)
    GenServer.stop(small)
  end

  test "lines: a snapshot of the bindings before each expression, the original code back at stop" do
    mod = :otpscope_demo_tally
    {^mod, original, _} = :code.get_object_code(mod)
    md5 = fn -> mod.module_info(:md5) end
    original_md5 = md5.()
    file = tmp_file("lines.zip")

    {:ok, _} =
      Otpscope.start(
        file: file,
        processes: [self()],
        lines: [mod, {OtpscopeDemo.WorkerA, :handle_call, 3}],
        states: false
      )

    refute md5.() == original_md5
    # the instrumented code computes what the original does
    assert mod.sum([1, 2]) == 3
    assert mod.classify(4) == {4, {:even, 2}}
    assert mod.classify(3) == {3, :odd}
    send(self(), {:tally, 5})
    assert mod.wait(100) == 50
    {:ok, ^file} = Otpscope.stop()
    assert md5.() == original_md5
    assert {:ok, {^mod, _}} = :beam_lib.md5(original)

    snaps =
      for %{kind: :snapshot, mfa: {^mod, f, a}, term: {line, b}} <-
            ArchiveReader.read(file).events,
          do: {f, a, line, b}

    assert snaps == [
             {:sum, 1, 7, [List: [1, 2]]},
             {:sum, 2, 12, [H: 1, T: [2], Acc: 0]},
             {:sum, 2, 13, [H: 1, T: [2], Acc: 0, Next: 1]},
             {:sum, 2, 12, [H: 2, T: [], Acc: 1]},
             {:sum, 2, 13, [H: 2, T: [], Acc: 1, Next: 3]},
             {:sum, 2, 10, [Acc: 3]},
             # a case: its clause bodies get snapshots with the clause's bindings
             {:classify, 1, 16, [N: 4]},
             {:classify, 1, 18, [N: 4]},
             {:classify, 1, 19, [N: 4, Half: 2]},
             {:classify, 1, 23, [N: 4, Kind: {:even, 2}]},
             {:classify, 1, 16, [N: 3]},
             {:classify, 1, 21, [N: 3]},
             {:classify, 1, 23, [N: 3, Kind: :odd]},
             {:wait, 1, 26, [Timeout: 100]},
             {:wait, 1, 28, [Timeout: 100, X: 5]},
             {:wait, 1, 29, [Timeout: 100, X: 5, Got: 50]}
           ]
  end

  test "lines: a process looping in the module keeps the original; it stays instrumented until a later stop can load the original back" do
    mod = :otpscope_demo_tally
    {^mod, disk, _} = :code.get_object_code(mod)
    {:ok, {^mod, original_md5}} = :beam_lib.md5(disk)
    looper = mod.start_loop()

    {:ok, _} =
      Otpscope.start(file: tmp_file("loop.zip"), processes: [looper, self()], lines: [mod])

    send(looper, {:add, 5})
    assert mod.sum([1]) == 1
    # stopping cannot purge the original while the loop runs it: no kill, the mark stays
    {:ok, file} = Otpscope.stop()
    refute mod.module_info(:md5) == original_md5
    send(looper, {:get, self()})
    assert_receive {:n, 5}
    # the loop took no snapshots (it runs the old code); the direct call did
    snaps = for %{kind: :snapshot, pid: pid} <- ArchiveReader.read(file).events, do: pid
    assert snaps != [] and looper not in snaps

    # once the loop is gone, the next recording instruments the original again and loads it back
    Process.exit(looper, :kill)
    await_exits([looper])
    {:ok, _} = Otpscope.start(file: tmp_file("loop2.zip"), processes: [self()], lines: [mod])
    assert mod.sum([2]) == 2
    {:ok, _} = Otpscope.stop()
    assert mod.module_info(:md5) == original_md5
  end

  test "lines: Elixir variables by their names, the latest binding of each" do
    OtpscopeDemo.App.start_app(worker_a: [notify: self(), interval: 10, until: 1])
    assert_receive {:demo_done, 1}
    worker_a = Process.whereis(OtpscopeDemo.WorkerA)
    file = tmp_file("lines_ex.zip")

    {:ok, _} = Otpscope.start(file: file, processes: [worker_a], lines: [OtpscopeDemo.WorkerA])

    # WorkerA's handle_info(:increment, state) after the last tick: count = state.count + 1 ...
    send(worker_a, :increment)
    2 = OtpscopeDemo.WorkerA.get_count()
    {:ok, ^file} = Otpscope.stop()

    snaps =
      for %{kind: :snapshot, pid: ^worker_a, mfa: {_, f, _}, term: {line, b}} <-
            ArchiveReader.read(file).events,
          do: {f, line, b}

    assert {:handle_info, 25, [state: %{count: 1, last_caller: nil}]} in snaps
    assert {:handle_info, 26, [state: %{count: 1, last_caller: nil}, count: 2]} in snaps
    assert {:handle_call, 20, [from: from, state: %{count: 2}]} = List.last(snaps)
    assert is_tuple(from)
  end

  test "lines: refuses a module whose .beam on the code path is not the loaded code" do
    forms = fn v ->
      [
        {:attribute, 1, :module, :otpscope_test_drift},
        {:attribute, 1, :export, [v: 0]},
        {:function, 2, :v, 0, [{:clause, 2, [], [], [{:integer, 3, v}]}]}
      ]
    end

    {:ok, mod, on_disk} = :compile.forms(forms.(1), [:binary, :debug_info])
    {:ok, ^mod, loaded} = :compile.forms(forms.(2), [:binary, :debug_info])
    dir = Path.dirname(tmp_file("x"))
    beam = Path.join(dir, "otpscope_test_drift.beam")
    File.write!(beam, on_disk)
    true = :code.add_patha(String.to_charlist(dir))
    {:module, ^mod} = :code.load_binary(mod, String.to_charlist(beam), loaded)

    try do
      assert {:error, {:lines, message}} =
               Otpscope.start(file: tmp_file("x.zip"), processes: [self()], lines: [mod])

      assert message =~ "otpscope_test_drift on the code path is not the loaded code"
      assert mod.v() == 2
    after
      :code.purge(mod)
      :code.delete(mod)
      :code.purge(mod)
      :code.del_path(String.to_charlist(dir))
    end
  end

  test "lines: a module without object code, or with an on_load function, is refused, naming it" do
    assert {:error, {:lines, message}} =
             Otpscope.start(file: tmp_file("x.zip"), processes: [self()], lines: [Slow])

    assert message =~ "no object code for OtpscopeTest.Slow"
    refute Process.whereis(Otpscope.Recorder)

    # nor a module with an on_load function (reloading would run it again)
    md5 = :otpscope_demo_onload.module_info(:md5)

    assert {:error, {:lines, message}} =
             Otpscope.start(
               file: tmp_file("x.zip"),
               processes: [self()],
               lines: [OtpscopeDemo.WorkerA, :otpscope_demo_onload]
             )

    assert message =~ "otpscope_demo_onload has an on_load function"
    assert :otpscope_demo_onload.module_info(:md5) == md5
    # and what was instrumented before the refusal (modules go in term order:
    # Elixir.OtpscopeDemo.WorkerA first) is back as it was
    {_, worker_a, _} = :code.get_object_code(OtpscopeDemo.WorkerA)
    assert {:ok, {_, worker_a_md5}} = :beam_lib.md5(worker_a)
    assert OtpscopeDemo.WorkerA.module_info(:md5) == worker_a_md5
  end

  test "process facts cover processes not started through proc_lib (no $initial_call)" do
    plain = spawn(fn -> receive do: (:stop -> :ok) end)
    true = Process.register(plain, :otpscope_plain_proc)
    file = tmp_file("facts.zip")
    {:ok, _} = Otpscope.start(file: file, processes: :all, messages: false)
    {:ok, ^file} = Otpscope.stop()
    send(plain, :stop)

    a = ArchiveReader.read(file)
    fact = Enum.find(a.processes_start, &(&1.pid == plain))
    assert %{registered_name: :otpscope_plain_proc, dictionary_initial_call: nil} = fact
    assert {:erlang, :apply, 2} = fact.initial_call
    # and the runtime's own: the code server is no proc_lib process
    code_server = Process.whereis(:code_server)

    assert %{registered_name: :code_server} =
             Enum.find(a.processes_start, &(&1.pid == code_server))
  end

  # Regression test: a process known by a :global name or a Registry key
  # (`{:via, Registry, {reg, key}}`) was nameless in the facts, which read
  # only its registered name; one started under such a name that exited
  # during the recording too, and a label (OTP 27) was read through a
  # second process_info.
  test "process facts name processes by their :global names and unique Registry keys, at start, at stop and from their start" do
    {:ok, _} = Registry.start_link(keys: :unique, name: OtpscopeTest.Names)
    {:ok, _} = Registry.start_link(keys: :duplicate, name: OtpscopeTest.DupNames)
    me = self()

    holder = fn register ->
      spawn(fn ->
        register.()
        send(me, {:registered, self()})
        receive do: (:stop -> :ok)
      end)
    end

    before =
      holder.(fn ->
        :yes = :global.register_name(:otpscope_names_before, self())
        {:ok, _} = Registry.register(OtpscopeTest.Names, {"before", 1}, :value)
        {:ok, _} = Registry.register(OtpscopeTest.DupNames, :topic, nil)
      end)

    assert_receive {:registered, ^before}
    later = holder.(fn -> :ok end)
    assert_receive {:registered, ^later}
    file = tmp_file("names.zip")
    {:ok, _} = Otpscope.start(file: file, processes: :all, messages: false)
    :yes = :global.register_name(:otpscope_names_later, later)
    {:ok, _} = Registry.register(OtpscopeTest.Names, :later, nil)
    :ok = Registry.unregister(OtpscopeTest.Names, :later)
    {:ok, via} = Agent.start(fn -> 0 end, name: {:via, Registry, {OtpscopeTest.Names, :gone, 7}})
    {:ok, global} = Agent.start(fn -> 0 end, name: {:global, :otpscope_names_gone})
    :ok = Agent.stop(via)
    :ok = Agent.stop(global)
    {:ok, ^file} = Otpscope.stop()
    for pid <- [before, later], do: send(pid, :stop)
    :global.unregister_name(:otpscope_names_later)

    a = ArchiveReader.read(file)
    start = Map.new(a.processes_start, &{&1.pid, &1})
    stop = Map.new(a.processes_stop, &{&1.pid, &1})

    names = [
      {:global, :otpscope_names_before},
      {:via, Registry, {OtpscopeTest.Names, {"before", 1}}}
    ]

    assert %{names: ^names, label: nil} = start[before]
    assert %{names: ^names} = stop[before]
    assert %{names: []} = start[later]
    assert %{names: [{:global, :otpscope_names_later}]} = stop[later]
    # gone before stop: the name each was started under
    assert %{status: :exited, names: [{:via, Registry, {OtpscopeTest.Names, :gone}}]} = stop[via]
    assert %{status: :exited, names: [{:global, :otpscope_names_gone}]} = stop[global]

    # the test process held a key only while recording (a name it had), and no duplicate key is a name
    assert %{names: [{:via, Registry, {OtpscopeTest.Names, :later}}]} = stop[me]
  end

  # Regression test: below OTP 27 the runtime holds 0.0 and -0.0 equal, and
  # the chunk's table of terms stored a 0.0 sent after a -0.0 (alone or
  # nested) as that -0.0.
  test "a term differing from one before it in its chunk only by the sign of a float zero keeps its own sign" do
    # made at run time: the compiler may take one literal for the other below OTP 27
    neg = :erlang.binary_to_term(<<131, 70, 128, 0::56>>)
    pos = :erlang.binary_to_term(<<131, 70, 0::64>>)

    terms = [
      neg,
      pos,
      {:x, neg},
      {:x, pos},
      [1, %{a: pos}],
      [1, %{a: neg}],
      {neg, pos},
      {pos, neg},
      {neg, pos},
      pos,
      {:x, neg}
    ]

    file = tmp_file("zeros.zip")

    {:ok, _} = Otpscope.start(file: file, processes: :new, states: false, flush_interval: 600_000)

    pid = spawn(fn -> receive(do: (:go -> for(t <- terms, do: send(self(), {:t, t})))) end)
    send(pid, :go)
    await_exits([pid])
    {:ok, ^file} = Otpscope.stop()

    a = ArchiveReader.read(file)
    # one chunk: the terms share its table
    assert [_] = a.chunks
    sent = for %{kind: :send, pid: ^pid, term: term} <- a.events, do: :erlang.term_to_binary(term)
    assert sent == Enum.map(terms, &:erlang.term_to_binary({:t, &1}))
  end

  # Regression test: a process spawned while recorded that took a :global
  # name or a unique Registry key itself and exited before the stop was
  # nameless in the facts at stop (its names were read at start and stop
  # only), unlike one that registered a local name.
  test "process facts at stop name a process by the :global names and unique Registry keys it took and lost while recorded" do
    {:ok, _} = Registry.start_link(keys: :unique, name: OtpscopeTest.TookNames)
    {:ok, _} = Registry.start_link(keys: :duplicate, name: OtpscopeTest.TookTopics)
    {:ok, sup} = DynamicSupervisor.start_link(strategy: :one_for_one)
    :yes = :global.register_name(:otpscope_took_held, spawn(fn -> Process.sleep(:infinity) end))
    {:ok, _} = Registry.register(OtpscopeTest.TookNames, :held, nil)
    me = self()

    run = fn take ->
      {pid, ref} =
        spawn_monitor(fn ->
          send(me, {:took, self(), take.()})
        end)

      assert_receive {:took, ^pid, result}
      assert_receive {:DOWN, ^ref, :process, ^pid, :normal}
      {pid, result}
    end

    file = tmp_file("took_names.zip")
    {:ok, _} = Otpscope.start(file: file, processes: :all, messages: false)
    {global, :yes} = run.(fn -> :global.register_name({:otpscope_took, 1}, self()) end)

    {both, {:ok, _}} =
      run.(fn ->
        {:ok, _} = Registry.register(OtpscopeTest.TookNames, {:conn, 1}, :value)
        Registry.register(OtpscopeTest.TookNames, {:conn, 2}, nil)
      end)

    {topic, {:ok, _}} = run.(fn -> Registry.register(OtpscopeTest.TookTopics, :news, nil) end)
    {local, true} = run.(fn -> Process.register(self(), :otpscope_took_local) end)
    {refused, :no} = run.(fn -> :global.register_name(:otpscope_took_held, self()) end)

    {dup, {:error, {:already_registered, _}}} =
      run.(fn -> Registry.register(OtpscopeTest.TookNames, :held, nil) end)

    # a DynamicSupervisor's child that puts itself in the Registry in its init
    {:ok, child} =
      DynamicSupervisor.start_child(
        sup,
        {Agent, fn -> Registry.register(OtpscopeTest.TookNames, {:child, 7}, nil) end}
      )

    :ok = DynamicSupervisor.terminate_child(sup, child)
    {:ok, ^file} = Otpscope.stop()

    a = ArchiveReader.read(file)
    stop = Map.new(a.processes_stop, &{&1.pid, &1})
    assert %{status: :exited, names: [{:global, {:otpscope_took, 1}}]} = stop[global]

    assert %{
             status: :exited,
             names: [
               {:via, Registry, {OtpscopeTest.TookNames, {:conn, 1}}},
               {:via, Registry, {OtpscopeTest.TookNames, {:conn, 2}}}
             ]
           } = stop[both]

    assert %{status: :exited, names: [{:via, Registry, {OtpscopeTest.TookNames, {:child, 7}}}]} =
             stop[child]

    # a duplicate Registry's key, a name refused, a key taken already: no name
    for pid <- [topic, refused, dup], do: assert(%{status: :exited, names: []} = stop[pid])
    assert %{status: :exited, registered_name: :otpscope_took_local} = stop[local]
    # traced for the facts alone: no call events of those functions
    naming = MapSet.new(Otpscope.Facts.naming_functions())
    assert [] = for(%{mfa: mfa} = e <- a.events, MapSet.member?(naming, mfa), do: e)
    :global.unregister_name(:otpscope_took_held)
  end

  if function_exported?(:proc_lib, :set_label, 1) do
    test "process facts hold a process's proc_lib label (OTP 27+)" do
      me = self()

      labelled =
        spawn(fn ->
          apply(:proc_lib, :set_label, [{:conn, 42}])
          send(me, :labelled)
          receive do: (:stop -> :ok)
        end)

      assert_receive :labelled
      file = tmp_file("labels.zip")
      {:ok, _} = Otpscope.start(file: file, processes: :all, messages: false)
      {:ok, ^file} = Otpscope.stop()
      send(labelled, :stop)
      a = ArchiveReader.read(file)

      for facts <- [a.processes_start, a.processes_stop] do
        assert %{label: {:conn, 42}, names: []} = Enum.find(facts, &(&1.pid == labelled))
      end
    end
  end

  # Regression test: a process started and exited during the recording
  # had only its spawn's facts at stop: on OTP 25 (Elixir 1.14), where Task
  # and the behaviours start through proc_lib, every one of them was
  # :proc_lib.init_p/5 with no module, and a supervisor was known only by
  # its :supervisor callbacks.
  test "processes that exit before stop have the $initial_call they gave themselves: a task's function, a supervisor's callback module" do
    me = self()
    file = tmp_file("initial_calls.zip")
    {:ok, _} = Otpscope.start(file: file, processes: :new)
    report = fn -> OtpscopeTest.Started.report(me) end

    tasks = [
      Task.async(OtpscopeTest.Started, :report, [me]),
      Task.async(report),
      elem(Task.start(OtpscopeTest.Started, :report, [me]), 1),
      elem(Task.start(report), 1)
    ]

    # each one's own `$initial_call`, as it saw it
    expected =
      Map.new(for(t <- tasks, do: if(is_pid(t), do: t, else: t.pid)), fn pid ->
        assert_receive {:initial_call, ^pid, call}
        {pid, call}
      end)

    for t <- tasks, not is_pid(t), do: Task.await(t)
    {:ok, sup} = Supervisor.start_link(OtpscopeTest.Sup, :ok)
    {:ok, server} = GenServer.start(OtpscopeTest.Server, :ok)
    {:dictionary, sup_dict} = Process.info(sup, :dictionary)
    {:dictionary, server_dict} = Process.info(server, :dictionary)
    assert sup_dict[:"$initial_call"] == {:supervisor, OtpscopeTest.Sup, 1}
    Process.unlink(sup)
    :ok = Supervisor.stop(sup)
    :ok = GenServer.stop(server)
    await_exits(Map.keys(expected))
    {:ok, ^file} = Otpscope.stop()

    stop = Map.new(ArchiveReader.read(file).processes_stop, &{&1.pid, &1})

    for {pid, call} <- expected do
      assert %{status: :exited, dictionary_initial_call: ^call} = stop[pid]
    end

    assert %{
             status: :exited,
             dictionary_initial_call: {:supervisor, OtpscopeTest.Sup, 1},
             behaviour: :supervisor,
             module: OtpscopeTest.Sup
           } = stop[sup]

    assert server_dict[:"$initial_call"] == {OtpscopeTest.Server, :init, 1}

    assert %{
             status: :exited,
             dictionary_initial_call: {OtpscopeTest.Server, :init, 1},
             behaviour: :gen_server,
             module: OtpscopeTest.Server
           } = stop[server]
  end

  # Regression test: a supervisor_bridge's facts had behaviour and module
  # nil (its `$initial_call` is {:supervisor_bridge, Mod, 1}, which only
  # supervisors' {:supervisor, Mod, 1} was read like), so the analyzer showed
  # :supervisor_bridge as its module where a supervisor shows its callback module.
  test "a supervisor_bridge's facts give its callback module, alive at start and exited before stop" do
    {:ok, alive} =
      :supervisor_bridge.start_link({:local, :otpscope_test_bridge}, OtpscopeTest.Bridge, :ok)

    Process.unlink(alive)
    file = tmp_file("bridge.zip")
    {:ok, _} = Otpscope.start(file: file, processes: :new, messages: false)
    {:ok, exited} = :supervisor_bridge.start_link(OtpscopeTest.Bridge, :ok)
    Process.unlink(exited)

    # what proc_lib itself says of them
    for bridge <- [alive, exited] do
      {:dictionary, dict} = Process.info(bridge, :dictionary)
      assert dict[:"$initial_call"] == {:supervisor_bridge, OtpscopeTest.Bridge, 1}
    end

    for bridge <- [alive, exited], do: :ok = :gen_server.stop(bridge)
    {:ok, ^file} = Otpscope.stop()

    a = ArchiveReader.read(file)

    fact = %{
      dictionary_initial_call: {:supervisor_bridge, OtpscopeTest.Bridge, 1},
      behaviour: :supervisor_bridge,
      module: OtpscopeTest.Bridge
    }

    assert %{registered_name: :otpscope_test_bridge} =
             start = Enum.find(a.processes_start, &(&1.pid == alive))

    assert Map.take(start, Map.keys(fact)) == fact
    assert %{status: :exited} = stop = Enum.find(a.processes_stop, &(&1.pid == exited))
    assert Map.take(stop, Map.keys(fact)) == fact
  end

  test "processes: global and via names are resolved like registered names" do
    {:ok, reg} = Registry.start_link(keys: :unique, name: OtpscopeTest.Reg)
    a = spawn(fn -> receive do: (:stop -> :ok) end)
    me = self()

    b =
      spawn(fn ->
        {:ok, _} = Registry.register(OtpscopeTest.Reg, :b, nil)
        send(me, :registered)
        receive do: (:stop -> :ok)
      end)

    assert_receive :registered
    :yes = :global.register_name(:otpscope_test_global, a)
    file = tmp_file("names.zip")

    {:ok, _} =
      Otpscope.start(
        file: file,
        processes: [{:global, :otpscope_test_global}, {:via, Registry, {OtpscopeTest.Reg, :b}}],
        states: false
      )

    send(a, :stop)
    send(b, :stop)
    await_exits([a, b])
    {:ok, ^file} = Otpscope.stop()
    exits = for %{kind: :exit, pid: pid} <- ArchiveReader.read(file).events, do: pid
    assert Enum.sort(exits) == Enum.sort([a, b])

    assert {:error, {:not_registered, {:global, :nobody}}} =
             Otpscope.start(file: tmp_file("y.zip"), processes: [{:global, :nobody}])

    assert_raise ArgumentError, ~r/\{:global, name\}/, fn ->
      Otpscope.start(processes: [{:x, 1}])
    end

    :global.unregister_name(:otpscope_test_global)
    GenServer.stop(reg)
  end

  test "start/1 reports unknown registered names and refuses a second recording" do
    assert {:error, {:not_registered, :nobody_here}} =
             Otpscope.start(processes: [:nobody_here], file: tmp_file("x.zip"))

    {:ok, _} = Otpscope.start(processes: [self()], file: tmp_file("a.zip"))

    assert {:error, {:already_started, _}} =
             Otpscope.start(processes: [self()], file: tmp_file("b.zip"))

    assert {:ok, _} = Otpscope.stop()
    assert {:error, :not_recording} = Otpscope.stop()
  end

  test "several encoders: chunks are written in order, every event once, nothing dropped" do
    me = self()

    echo =
      spawn(fn ->
        for _ <- 1..5_000, do: receive(do: ({:ping, from, i} -> send(from, {:pong, i})))
      end)

    client =
      spawn(fn ->
        receive do: (:go -> :ok)

        for i <- 1..5_000 do
          send(echo, {:ping, self(), i})
          receive do: ({:pong, ^i} -> :ok)
        end

        send(me, :done)
        receive do: (:exit -> :ok)
      end)

    file = tmp_file("encoders.zip")

    {:ok, _} =
      Otpscope.start(
        file: file,
        processes: [echo, client],
        states: false,
        max_rate: :infinity,
        chunk_events: 500,
        encoders: 3,
        max_in_flight: 1_000
      )

    assert length(Otpscope.info().encoders) == 3
    send(client, :go)
    assert_receive :done
    {:ok, _} = Otpscope.stop()
    send(client, :exit)

    a = ArchiveReader.read(file)
    assert a.drops == []
    assert length(a.chunks) > 20
    # 5000 x (send + receive) on each side, :go and :done
    assert Enum.count(a.events, &(&1.kind == :send)) == 10_001
    assert Enum.count(a.events, &(&1.kind == :receive)) == 10_001
    # chunk k+1 starts after chunk k started (entries follow the events)
    u0s = Enum.map(a.chunks, & &1.u0)
    assert u0s == Enum.sort(u0s)
    # every ping's message is decoded back, in order
    pings = for %{kind: :send, term: {:ping, _, i}} <- a.events, do: i
    assert pings == Enum.to_list(1..5_000)
  end
end

defmodule OtpscopeTest.Started do
  @moduledoc false
  # A task's function.
  def report(to), do: send(to, {:initial_call, self(), Process.get(:"$initial_call")})
end

defmodule OtpscopeTest.Sup do
  @moduledoc false
  use Supervisor
  def init(:ok), do: Supervisor.init([], strategy: :one_for_one)
end

defmodule OtpscopeTest.Server do
  @moduledoc false
  use GenServer
  def init(:ok), do: {:ok, nil}
end

defmodule OtpscopeTest.Bridge do
  @moduledoc false
  # A supervisor_bridge over a plain process, as supervisor_bridge's docs
  # have it: the bridge starts it and kills it when it terminates.
  @behaviour :supervisor_bridge
  def init(:ok),
    do:
      (
        pid = spawn(fn -> receive do: (:stop -> :ok) end)
        {:ok, pid, pid}
      )

  def terminate(_reason, pid), do: Process.exit(pid, :kill)
end

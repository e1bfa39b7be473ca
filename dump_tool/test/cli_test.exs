defmodule Otpscope.CLITest do
  use ExUnit.Case, async: false

  import Otpscope.Test.Case
  alias Otpscope.{Attach, CLI}
  alias Otpscope.Test.{ArchiveReader, Nodes}

  # The client side of attach mode (and the escript's entry point) stay on
  # the client; everything else runs on the recorded node.
  @client_modules [
    Otpscope.CLI,
    Otpscope.Attach,
    Otpscope.Attach.Error,
    Otpscope.Attach.Signals,
    Mix.Tasks.Otpscope.Record
  ]

  test "parse!/1 reads the mix task flags" do
    {opts, cli} =
      CLI.parse!(
        ~w(-o t.zip --processes MyApp.Worker,:logger --modules Foo,Foo.Bar.baz/2,:lists --allow-risky :lists,Enum
                    --duration 2m --max-events 500 --max-rate infinity --no-messages --no-states
                    --lines Foo.Parser,Foo.W.handle_info/2 --no-start-states)
      )

    assert opts[:file] == Path.expand("t.zip")
    assert opts[:processes] == [MyApp.Worker, :logger]
    assert opts[:modules] == [Foo, {Foo.Bar, :baz, 2}, :lists]
    assert opts[:allow_risky] == [:lists, Enum]
    assert opts[:duration] == 120_000
    assert opts[:max_events] == 500
    assert opts[:max_rate] == :infinity
    assert opts[:messages] == false and opts[:states] == false
    assert opts[:lines] == [Foo.Parser, {Foo.W, :handle_info, 2}]
    assert opts[:start_states] == false
    assert cli.node == nil
  end

  test "parse!/1 reads the flight-recorder flags into the options of Otpscope.start/1" do
    {opts, _} =
      CLI.parse!(~w(--mode ring --keep 2m --dump-on-exit-of MyApp.Worker,:my_name,<0.1.0>
           --dump-on-telemetry my_app.incident,my_app.db.down --sample 0.1 --duration infinity))

    assert opts[:mode] == :ring
    assert opts[:keep] == {120, :seconds}
    assert opts[:sample] == 0.1
    assert opts[:duration] == :infinity

    assert opts[:dump_on] == [
             exit_of: [MyApp.Worker, :my_name, :erlang.list_to_pid(~c"<0.1.0>")],
             telemetry: [[:my_app, :incident], [:my_app, :db, :down]]
           ]

    assert Otpscope.Options.validate!(opts).keep == {120, :seconds}
    {opts, _} = CLI.parse!(~w(--mode ring --keep 10000events))
    assert opts[:keep] == {10_000, :events}
    assert_raise ArgumentError, ~r/--keep: expected/, fn -> CLI.parse!(~w(--keep soon)) end
    assert_raise ArgumentError, ~r/--mode: expected/, fn -> CLI.parse!(~w(--mode loop)) end
    assert_raise ArgumentError, ~r/--sample: expected/, fn -> CLI.parse!(~w(--sample 2)) end

    {opts, _} = CLI.parse!(~w(--mode ring --max-dumps 5 --min-dump-interval 10s))
    assert {opts[:max_dumps], opts[:min_dump_interval]} == {5, 10_000}
    {opts, _} = CLI.parse!(~w(--mode ring --max-dumps infinity --min-dump-interval 0))
    assert {opts[:max_dumps], opts[:min_dump_interval]} == {:infinity, 0}
    assert Otpscope.Options.validate!(opts).max_dumps == :infinity

    assert_raise ArgumentError, ~r/--min-dump-interval: expected/, fn ->
      CLI.parse!(~w(--min-dump-interval soon))
    end

    assert_raise ArgumentError, ~r/--max-dumps: expected/, fn ->
      CLI.parse!(~w(--max-dumps -1))
    end
  end

  test "parse!/1 reads memory bounds as sizes and names the flag when one is wrong" do
    {opts, _} = CLI.parse!(~w(--max-buffer-memory 256MB --max-mailbox-memory 512KB))
    assert opts[:max_buffer_memory] == 256_000_000
    assert opts[:max_mailbox_memory] == 512_000

    assert Otpscope.Options.validate!(
             file: "t.zip",
             max_mailbox_memory: opts[:max_mailbox_memory]
           )

    assert_raise ArgumentError, ~r/--max-mailbox-memory: expected a size/, fn ->
      CLI.parse!(~w(--max-mailbox-memory lots))
    end
  end

  test "parse!/1 accepts 500ms, 10s and 2m durations and rejects others" do
    assert CLI.duration!("500ms") == 500
    assert CLI.duration!("10s") == 10_000
    assert CLI.duration!("2m") == 120_000
    assert_raise ArgumentError, ~r/--duration/, fn -> CLI.duration!("soon") end
    assert_raise ArgumentError, ~r/--max-events/, fn -> CLI.parse!(~w(--max-events lots)) end
    assert_raise OptionParser.ParseError, fn -> CLI.parse!(~w(--colour red)) end
  end

  test "mix otpscope.record raises Mix errors on bad values" do
    assert_raise Mix.Error, ~r/--duration/, fn ->
      Mix.Tasks.Otpscope.Record.run(~w(--duration 3x))
    end
  end

  test "--version names the recorder's version, Elixir and OTP" do
    want =
      ~r/^otpscope_record \d+\.\d+\.\d+ \(Elixir #{Regex.escape(System.version())}, OTP \d+\)$/

    assert CLI.version_text() =~ want
    Mix.shell(Mix.Shell.Process)
    Mix.Tasks.Otpscope.Record.run(["--version"])
    assert_received {:mix_shell, :info, [line]}
    assert line =~ want
  after
    Mix.shell(Mix.Shell.IO)
  end

  test "an -o that cannot be written is one line naming it, before anything is recorded" do
    file = Path.join(System.tmp_dir!(), "otpscope-cli-file-#{System.unique_integer([:positive])}")
    File.write!(file, "")

    # (a File.Error with its stack trace, for the --nodes folder; the recorder's tuple as Elixir terms for -o FILE)
    assert_raise Mix.Error, ~r/^-o #{file}\/dir: cannot make the folder: not a directory$/, fn ->
      Mix.Tasks.Otpscope.Record.run(
        ~w(--nodes a@localhost,b@localhost -o #{file}/dir --duration 1s)
      )
    end

    assert_raise Mix.Error,
                 ~r/^otpscope.record could not start: writing #{file}\/x.zip failed: not a directory$/,
                 fn ->
                   Mix.Tasks.Otpscope.Record.run(
                     ~w(-o #{file}/x.zip --duration 1s --processes new)
                   )
                 end

    File.rm!(file)
  end

  test "attach mode ships every recorder module (all but the client's)" do
    {:ok, mods} = :application.get_key(:otpscope, :modules)
    # the app's own modules (test support is compiled into it under MIX_ENV=test)
    lib = Path.expand("lib", File.cwd!())

    runtime =
      for m <- mods,
          m not in @client_modules,
          String.starts_with?(List.to_string(m.module_info(:compile)[:source]), lib),
          do: m

    assert Enum.sort(CLI.runtime_modules()) == Enum.sort(runtime)
  end

  setup do
    Nodes.ensure_distributed()
    :ok
  end

  test "attach mode records a running node, streams the archive back and leaves nothing there" do
    target = Nodes.start_target("otpscope_target_#{System.unique_integer([:positive])}")
    file = tmp_file("attached.zip")
    remote_dir = Path.dirname(tmp_file("remote"))

    try do
      assert {:ok, ^file} =
               Attach.record(
                 target.node,
                 [file: file, duration: 400, processes: :all],
                 %{cookie: Nodes.cookie(), remote_dir: remote_dir}
               )

      a = ArchiveReader.read(file)
      assert a.scan.central_directory?
      assert a.manifest =~ ~s("node":"#{target.node}")
      assert Enum.any?(a.events, &match?(%{kind: :send, term: {:spin, _}}, &1))
      # streamed back, then removed from the node
      assert File.ls!(remote_dir) == []
      refute File.exists?(file <> ".part")
    after
      Nodes.stop_target(target)
    end
  end

  # Regression test: a node without Elixir (an Erlang application started with `erl`) was refused ("has no Elixir
  # loaded"): the client now loads the Elixir modules the recorder calls there, from its own copy of Elixir.
  test "attach mode records a node that has no Elixir (erl)" do
    target = Nodes.start_erlang_target("otpscope_erl_#{System.unique_integer([:positive])}")
    file = tmp_file("erlang.zip")

    try do
      assert :rpc.call(target.node, :code, :which, [Enum]) == :non_existing

      {output, status} =
        Nodes.client(~w(--node #{target.node} --cookie otpscope_test --duration 300ms -o #{file}))

      assert status == 0, output
      a = ArchiveReader.read(file)
      assert a.manifest =~ ~s("node":"#{target.node}")
      # the node has no Elixir of its own (the client's was loaded there)
      assert a.manifest =~ ~s("elixir_version":null)
      assert Enum.any?(a.events, &match?(%{kind: :send, term: {:spin, _}}, &1))
      # the recording is over there: no recorder, no tracer left on the spinning process
      assert :rpc.call(target.node, :erlang, :whereis, [Otpscope.Recorder]) == :undefined

      assert :rpc.call(target.node, :erlang, :processes, [])
             |> Enum.all?(
               &(:rpc.call(target.node, :erlang, :trace_info, [&1, :flags]) in [
                   {:flags, []},
                   :undefined
                 ])
             )
    after
      Nodes.stop_target(target)
    end
  end

  test "a node without Elixir gets the Elixir modules the recorder reaches, protocols' implementations with them" do
    mods = Attach.elixir_modules(CLI.runtime_modules())

    for m <- [
          Enum,
          Keyword,
          String,
          Inspect,
          Inspect.Algebra,
          Enumerable,
          Enumerable.List,
          String.Chars.Integer
        ],
        do: assert(m in mods, inspect(m))

    # only Elixir's own: never the recorder's, nor OTP's
    refute Enum.any?(mods, &(&1 in CLI.runtime_modules() or &1 in [:lists, :gen_server, :zlib]))
  end

  # Regression test: the rpc process that started the recording, the agent
  # and its waiter were traced like the system recorded, so every attached
  # archive had the rpc process's exit (`{ref, :return, result}`, a "crash"
  # in the analyzer) and a call to the recorder that never returned.
  test "attach mode leaves its own processes on the node out of the archive" do
    target = Nodes.start_target("otpscope_target_#{System.unique_integer([:positive])}")
    file = tmp_file("attached-own.zip")

    try do
      assert {:ok, ^file} =
               Attach.record(target.node, [file: file, duration: 300, processes: :all], %{
                 cookie: Nodes.cookie()
               })

      a = ArchiveReader.read(file)
      assert Enum.any?(a.events, &match?(%{kind: :send, term: {:spin, _}}, &1))

      refute Enum.any?(
               a.events,
               &match?(%{kind: :exit, term: {r, :return, _}} when is_reference(r), &1)
             )

      refute Enum.any?(a.events, &match?(%{term: {:"$gen_call", _, :await}}, &1))
    after
      Nodes.stop_target(target)
    end
  end

  test "attach mode in ring mode: each dump on the node comes back beside the archive, then the last window; nothing stays there" do
    target = Nodes.start_target("otpscope_target_#{System.unique_integer([:positive])}")
    file = tmp_file("attached_ring.zip")
    remote_dir = Path.dirname(tmp_file("remote"))
    me = self()

    try do
      # two dumps asked for on the node while it records
      spawn_link(fn ->
        node = target.node

        # once the spinner's sends are being recorded: a dump asked at the very start could hold none of them
        eventually(fn ->
          match?(%{accepted: n} when n > 200, :rpc.call(node, Otpscope, :info, []))
        end)

        send(me, {:dumped, :rpc.call(node, Otpscope, :dump, [])})
        send(me, {:dumped, :rpc.call(node, Otpscope, :dump, [])})
      end)

      assert {:ok, ^file} =
               Attach.record(
                 target.node,
                 [file: file, duration: 8_000, mode: :ring, keep: {1_000, :events}],
                 %{cookie: Nodes.cookie(), remote_dir: remote_dir}
               )

      assert_receive {:dumped, {:ok, _}}
      assert_receive {:dumped, {:ok, _}}
      root = Path.rootname(file)

      for path <- [root <> "-001.zip", root <> "-002.zip", file] do
        a = ArchiveReader.read(path)
        assert a.scan.central_directory?
        assert a.totals =~ ~s("mode":"ring")
        assert length(a.events) <= 1_000
        assert Enum.any?(a.events, &match?(%{kind: :send, term: {:spin, _}}, &1))
      end

      assert File.ls!(remote_dir) == []
      assert Path.wildcard(root <> "*.part") == []
    after
      Nodes.stop_target(target)
    end
  end

  # Regression test: two clients started at once took the same node name,
  # joined the cluster as visible nodes, and global disconnected one of them
  # (a MatchError stack trace).
  test "two clients record the two nodes of a cluster at once" do
    id = System.unique_integer([:positive])
    a = Nodes.start_target("otpscope_a_#{id}")
    b = Nodes.start_target("otpscope_b_#{id}", connect: a.node)
    [file_a, file_b] = for t <- [a, b], do: tmp_file("#{t.node}.zip")

    try do
      runs =
        for {t, file} <- [{a, file_a}, {b, file_b}] do
          Task.async(fn ->
            Nodes.client(~w(--node #{t.node} --cookie otpscope_test --duration 1s -o #{file}))
          end)
        end
        |> Task.await_many(:infinity)

      for {output, status} <- runs do
        assert status == 0, output
        refute output =~ "** ("
      end

      assert ArchiveReader.read(file_a).manifest =~ ~s("node":"#{a.node}")
      assert ArchiveReader.read(file_b).manifest =~ ~s("node":"#{b.node}")

      # each client connected to its node only, hidden, under a name of its own
      clients =
        for t <- [a, b] do
          ups =
            for {n, type} <- Nodes.nodeups(t),
                Atom.to_string(n) =~ "otpscope_record_",
                do: {n, type}

          assert [{client, :hidden}] = ups
          assert Atom.to_string(client) =~ ~r/^otpscope_record_\d+_\d+@/
          client
        end

      assert Enum.uniq(clients) == clients
    after
      Enum.each([a, b], &Nodes.stop_target/1)
    end
  end

  test "--cluster records the node given and every node connected to it, each into its own archive" do
    id = System.unique_integer([:positive])
    a = Nodes.start_target("otpscope_a_#{id}")
    b = Nodes.start_target("otpscope_b_#{id}", connect: a.node)
    dir = Path.join(Path.dirname(tmp_file("x")), "cluster")

    try do
      {output, status} =
        Nodes.client(
          ~w(--cluster --node #{a.node} --cookie otpscope_test --duration 1s -o #{dir})
        )

      assert status == 0, output

      for t <- [a, b] do
        archive = ArchiveReader.read(Path.join(dir, "#{t.node}.zip"))
        assert archive.scan.central_directory?
        assert archive.manifest =~ ~s("node":"#{t.node}")
        assert Enum.any?(archive.events, &match?(%{kind: :send, term: {:spin, _}}, &1))
      end

      assert length(File.ls!(dir)) == 2
    after
      Enum.each([a, b], &Nodes.stop_target/1)
    end
  end

  test "parse!/1 reads --nodes and --cluster and refuses what cannot work" do
    {_opts, cli} = CLI.parse!(~w(--nodes a@h,b@h -o out))
    assert cli.nodes == [:a@h, :b@h] and cli.output == "out"
    {_opts, cli} = CLI.parse!(~w(--cluster --node a@h))
    assert cli.cluster and cli.node == :a@h

    assert_raise ArgumentError, ~r/either --node or --nodes/, fn ->
      CLI.parse!(~w(--node a@h --nodes b@h))
    end

    assert_raise ArgumentError, ~r/--cluster records the node given with --node/, fn ->
      CLI.parse!(~w(--cluster))
    end
  end

  # One line on stderr naming what is wrong, exit status 1, no stack trace.
  defp assert_one_line_failure({output, status}, expected) do
    assert status == 1, output
    lines = output |> String.split("\n", trim: true) |> Enum.reject(&(&1 =~ ~r/^recording on /))
    assert [line] = lines, output
    assert line =~ expected
    assert String.starts_with?(line, "otpscope_record: ")
  end

  test "attach failures are one clear line and exit status 1" do
    target = Nodes.start_target("otpscope_target_#{System.unique_integer([:positive])}")
    name = target.node |> Atom.to_string() |> String.split("@") |> hd()

    try do
      Nodes.client(~w(--node nobody_here@#{Nodes.host()} --cookie otpscope_test))
      |> assert_one_line_failure(~r/no node named nobody_here runs on .*running there: .*#{name}/)

      Nodes.client(~w(--node #{target.node} --cookie not_the_cookie))
      |> assert_one_line_failure(~r/refused the connection: wrong cookie/)

      # a long name for a node started with -sname: epmd knows it, the node refuses the name
      Nodes.client(~w(--node #{name}@127.0.0.1 --cookie otpscope_test))
      |> assert_one_line_failure(
        ~r/refused the connection: wrong cookie .* or #{name} on 127.0.0.1 is not named #{name}@127.0.0.1: a node started with --sname .* is #{name}@<its short host name>/
      )

      # no host: was an error report and "unexpected error: no match of right hand side value"
      Nodes.client(~w(--node #{name} --cookie otpscope_test))
      |> assert_one_line_failure(
        ~r/--node #{name}: expected a node name name@host, such as #{name}@#{Nodes.host()} /
      )

      Nodes.client(~w(--node #{target.node} --cookie otpscope_test --remote-dir /nonexistent/x))
      |> assert_one_line_failure(~r"--remote-dir /nonexistent/x: no such file or directory")

      Nodes.client(~w(--node #{target.node} --cookie otpscope_test -p NoSuchProcess))
      |> assert_one_line_failure(~r/refused to record: no process registered as NoSuchProcess/)

      # the node goes away mid-recording
      lost = tmp_file("lost.zip")

      client =
        Nodes.start_client(
          ~w(--node #{target.node} --cookie otpscope_test --duration 10m -o #{lost})
        )

      eventually(fn ->
        :rpc.call(target.node, Process, :whereis, [Otpscope.Recorder]) |> is_pid()
      end)

      Nodes.stop_target(target)

      Nodes.await_client(client)
      |> assert_one_line_failure(~r/lost the connection to #{target.node}/)

      refute File.exists?(lost <> ".part")
    after
      Nodes.stop_target(target)
    end
  end

  # Regression test: a node stopped mid-recording took the recording with it (the archive came back only at the
  # end): the client now has what the node wrote up to the last second, and says where.
  test "a node that stops mid-recording: what was recorded up to then is kept" do
    target = Nodes.start_target("otpscope_target_#{System.unique_integer([:positive])}")
    file = tmp_file("stopped.zip")
    remote_dir = Path.join(Path.dirname(file), "remote")
    File.mkdir_p!(remote_dir)

    try do
      client =
        Nodes.start_client(
          ~w(--node #{target.node} --cookie otpscope_test --duration 10m --remote-dir #{remote_dir} -o #{file})
        )

      # some of the recording came back
      eventually(fn -> match?({:ok, %{size: size}} when size > 0, File.stat(file <> ".part")) end)
      Nodes.stop_target(target)

      {output, _} = result = Nodes.await_client(client)

      assert_one_line_failure(
        result,
        ~r/lost the connection to #{target.node} while recording .*what was recorded up to then \(readable up to its last complete chunk\) is in #{file}/
      )

      # the node, killed, could not remove its own copy: the message says where it is
      assert [copy] = File.ls!(remote_dir)

      assert output =~
               "the node's own copy (up to a second longer) stays on its disk: #{remote_dir}/#{copy}"

      a = ArchiveReader.read(file)
      refute a.scan.central_directory?
      assert Enum.any?(a.events, &match?(%{kind: :send, term: {:spin, _}}, &1))
      refute File.exists?(file <> ".part")
    after
      Nodes.stop_target(target)
    end
  end

  # Regression test: SIGTERM to the client (`kill PID`, a supervisor stopping it) stopped its VM at once: the
  # recording was lost, and with `--duration infinity` no recording could ever come back whole.
  test "SIGTERM to the client ends the recording early and still copies it back whole; nothing stays on the node" do
    target = Nodes.start_target("otpscope_target_#{System.unique_integer([:positive])}")
    file = tmp_file("sigterm.zip")
    remote_dir = Path.dirname(tmp_file("remote"))

    try do
      client =
        Nodes.start_client(
          ~w(--node #{target.node} --cookie otpscope_test --duration infinity --remote-dir #{remote_dir} -o #{file})
        )

      # recording: some of it came back
      eventually(fn -> match?({:ok, %{size: size}} when size > 0, File.stat(file <> ".part")) end)
      System.cmd("kill", ["-TERM", client.os_pid])
      {output, status} = Nodes.await_client(client)

      assert status == 0, output
      assert output =~ "SIGTERM: stopping the recording and copying it back"
      a = ArchiveReader.read(file)
      assert a.scan.central_directory?
      assert a.scan.warnings == []
      assert a.totals =~ ~s("stop_reason":"stop")
      assert File.ls!(remote_dir) == []
      assert :rpc.call(target.node, :erlang, :whereis, [Otpscope.Recorder]) == :undefined
    after
      Nodes.stop_target(target)
    end
  end

  test "a second client attaching while one records is refused in one line; the first goes on undisturbed" do
    target = Nodes.start_target("otpscope_target_#{System.unique_integer([:positive])}")
    file = tmp_file("first.zip")

    try do
      first =
        Nodes.start_client(
          ~w(--node #{target.node} --cookie otpscope_test --duration 10m -o #{file})
        )

      eventually(fn -> match?({:ok, %{size: size}} when size > 0, File.stat(file <> ".part")) end)

      Nodes.client(
        ~w(--node #{target.node} --cookie otpscope_test --duration 1s -o #{tmp_file("second.zip")})
      )
      |> assert_one_line_failure(
        ~r/a recording already runs on #{target.node} \(another otpscope_record, or Otpscope.start\/1 there\): wait for it to end/
      )

      System.cmd("kill", ["-TERM", first.os_pid])
      {output, status} = Nodes.await_client(first)
      assert status == 0, output
      assert ArchiveReader.read(file).scan.central_directory?
      refute File.exists?(tmp_file("second.zip"))
    after
      Nodes.stop_target(target)
    end
  end

  # Regression test: a node with a long name on a machine whose own name has no dot (a container, `vm`) could
  # not be attached to: the client asked for a long name of its own without a host ("Can't set long node name!",
  # with supervisor reports), so it now takes the node's host.
  test "attach mode records a node with a long name (name@127.0.0.1)" do
    target = Nodes.start_target("otpscope_long_#{System.unique_integer([:positive])}", long: true)
    file = tmp_file("long.zip")

    try do
      {output, status} =
        Nodes.client(~w(--node #{target.node} --cookie otpscope_test --duration 300ms -o #{file}))

      assert status == 0, output
      refute output =~ "REPORT", output
      a = ArchiveReader.read(file)
      assert a.manifest =~ ~s("node":"#{target.node}")
      assert Enum.any?(a.events, &match?(%{kind: :send, term: {:spin, _}}, &1))
    after
      Nodes.stop_target(target)
    end
  end

  test "a client name for a long-named node takes the node's host unless it has one" do
    assert Attach.client_name("c1", :longnames, "127.0.0.1") == "c1@127.0.0.1"
    assert Attach.client_name("c1@10.1.2.3", :longnames, "127.0.0.1") == "c1@10.1.2.3"
    assert Attach.client_name("c1", :shortnames, "vm") == "c1"
  end

  test "a module that does not load on an older OTP says which build would" do
    msg = Attach.load_failure(Otpscope.Chunk, :old@h, {:error, :badfile}, "27", "25")
    assert msg =~ "cannot load Otpscope.Chunk on old@h: {:error, :badfile}"
    assert msg =~ "this client runs OTP 27 and old@h OTP 25"
    assert msg =~ "build otpscope_record with OTP 25"
    # another failure, or the same release: the error alone
    assert Attach.load_failure(Otpscope.Chunk, :n@h, {:error, :badfile}, "25", "25") ==
             "cannot load Otpscope.Chunk on n@h: {:error, :badfile}"

    assert Attach.load_failure(Otpscope.Chunk, :n@h, {:error, :on_load_failure}, "27", "25") ==
             "cannot load Otpscope.Chunk on n@h: {:error, :on_load_failure}"
  end

  # Regression test: an escript built on OTP 27 attaching to an OTP 25 node without Elixir loaded Elixir's modules
  # until one failed (`{:features_not_allowed, [:maybe_expr]}`), leaving part of Elixir there.
  test "a client on a newer OTP than the node's is refused before anything is loaded, saying which build would do" do
    assert Attach.otp_mismatch(:old@h, "27", "25") ==
             "old@h runs OTP 25 and this client OTP 27: code compiled by a newer OTP does not load on an " <>
               "older one; build otpscope_record with OTP 25 and run it there"

    assert Attach.otp_mismatch(:new@h, "25", "27") == nil
    assert Attach.otp_mismatch(:same@h, "25", "25") == nil
    assert Attach.otp_mismatch(:unknown@h, "25", nil) == nil
  end

  @tag :needs_root
  test "the node's disk fills up: what was written comes back, and the message says why and where" do
    target =
      Nodes.start_target("otpscope_target_#{System.unique_integer([:positive])}", noise: true)

    mnt = Path.join(Path.dirname(tmp_file("x")), "small")
    File.mkdir_p!(mnt)
    {_, 0} = System.cmd("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", mnt])
    file = tmp_file("full.zip")

    try do
      Nodes.client(
        ~w(--node #{target.node} --cookie otpscope_test --duration 10m --max-binary 4096
           --remote-dir #{mnt} -o #{file})
      )
      |> assert_one_line_failure(
        ~r"recording on #{target.node} stopped early: writing #{mnt}/\S+ failed: no space left on device; .* is in #{file}"
      )

      a = ArchiveReader.read(file)
      assert a.scan.warnings == []
      assert Enum.any?(a.events, &match?(%{kind: :send, term: {:noise, _}}, &1))
      # removed from the node
      assert File.ls!(mnt) == []
    after
      Nodes.stop_target(target)
      System.cmd("umount", ["-l", mnt])
    end
  end

  test "a client killed mid-recording leaves nothing on the node: the recording stops and its archive is removed" do
    target = Nodes.start_target("otpscope_target_#{System.unique_integer([:positive])}")
    remote_dir = Path.dirname(tmp_file("remote"))

    try do
      client =
        Nodes.start_client(
          ~w(--node #{target.node} --cookie otpscope_test --duration 10m --remote-dir #{remote_dir}
             -o #{tmp_file("killed.zip")})
        )

      eventually(fn -> File.ls!(remote_dir) != [] end)
      System.cmd("kill", ["-9", client.os_pid])
      eventually(fn -> File.ls!(remote_dir) == [] end)
      eventually(fn -> :rpc.call(target.node, Process, :whereis, [Otpscope.Recorder]) == nil end)
    after
      Nodes.stop_target(target)
    end
  end
end

defmodule Otpscope.CLITest do
  use ExUnit.Case, async: false

  import Otpscope.Test.Case
  alias Otpscope.CLI
  alias Otpscope.Test.ArchiveReader

  test "parse!/1 reads the mix task flags" do
    {opts, cli} =
      CLI.parse!(~w(-o t.zip --processes MyApp.Worker,:logger --modules Foo,Foo.Bar.baz/2,:lists
                    --duration 2m --max-events 500 --max-rate infinity --no-messages --no-states
                    --lines Foo.Parser,Foo.W.handle_info/2 --no-start-states))

    assert opts[:file] == Path.expand("t.zip")
    assert opts[:processes] == [MyApp.Worker, :logger]
    assert opts[:modules] == [Foo, {Foo.Bar, :baz, 2}, :lists]
    assert opts[:duration] == 120_000
    assert opts[:max_events] == 500
    assert opts[:max_rate] == :infinity
    assert opts[:messages] == false and opts[:states] == false
    assert opts[:lines] == [Foo.Parser, {Foo.W, :handle_info, 2}]
    assert opts[:start_states] == false
    assert cli.node == nil
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

  test "attach mode ships every recorder module (all but the CLI and the Mix task)" do
    {:ok, mods} = :application.get_key(:otpscope, :modules)
    # the app's own modules (test support is compiled into it under MIX_ENV=test)
    lib = Path.expand("lib", File.cwd!())

    runtime =
      for m <- mods,
          m not in [Otpscope.CLI, Mix.Tasks.Otpscope.Record],
          String.starts_with?(List.to_string(m.module_info(:compile)[:source]), lib),
          do: m

    assert Enum.sort(CLI.runtime_modules()) == Enum.sort(runtime)
  end

  test "attach mode records a running node and copies the archive back" do
    name = "otpscope_target_#{System.unique_integer([:positive])}"
    {host, 0} = System.cmd("hostname", ["-s"])
    target = String.to_atom("#{name}@#{String.trim(host)}")

    script = """
    defmodule Spin do
      def loop(n), do: (send(self(), {:spin, n}); receive(do: (_ -> :ok)); Process.sleep(2); loop(n + 1))
    end
    spawn(fn -> Spin.loop(0) end)
    IO.puts("READY")
    Process.sleep(:infinity)
    """

    elixir = System.find_executable("elixir")

    port =
      Port.open({:spawn_executable, elixir}, [
        :binary,
        :exit_status,
        args: ["--sname", name, "--cookie", "otpscope_test", "-e", script]
      ])

    assert_receive {^port, {:data, "READY" <> _}}
    file = tmp_file("attached.zip")

    try do
      assert {:ok, ^file} =
               CLI.attach(
                 target,
                 :otpscope_test,
                 [file: file, duration: 400, processes: :all],
                 nil
               )

      a = ArchiveReader.read(file)
      assert a.scan.central_directory?
      assert a.manifest =~ ~s("node":"#{target}")
      assert Enum.any?(a.events, &match?(%{kind: :send, term: {:spin, _}}, &1))
    after
      :rpc.call(target, System, :halt, [0])
    end
  end
end

defmodule Otpscope.Test.Nodes do
  @moduledoc """
  Real BEAM nodes and attach clients, each in its own OS process, for the
  attach tests: what a user runs, not a simulation.
  """

  @cookie "otpscope_test"

  def cookie, do: String.to_atom(@cookie)

  def host do
    {host, 0} = System.cmd("hostname", ["-s"])
    String.trim(host)
  end

  @doc """
  Starts a node named `name@host` running a process that keeps sending
  itself `{:spin, n}` (`long: true`: a long name, `name@127.0.0.1`); with `connect: node` it joins that node's cluster
  first; with `noise: true` another one sends itself 2 KB of random bytes
  every millisecond. Returns `%{node: node, port: port, os_pid: os_pid}` once it runs.
  """
  def start_target(name, opts \\ []) do
    # long: true names it `name@127.0.0.1` (`--name`), as nodes in containers often are
    {flag, node} =
      if opts[:long],
        do: {"--name", String.to_atom("#{name}@127.0.0.1")},
        else: {"--sname", String.to_atom("#{name}@#{host()}")}

    connect =
      case opts[:connect] do
        nil -> ""
        other -> "true = Node.connect(#{inspect(other)})"
      end

    script = """
    #{connect}
    # the test VM holds the other end of stdin: gone with it
    spawn(fn -> IO.read(:stdio, :line); System.halt(0) end)
    # every node that connects, with its type, for the tests to ask
    spawn(fn ->
      Process.register(self(), :otpscope_test_nodeups)
      :ok = :net_kernel.monitor_nodes(true, node_type: :all)
      Stream.repeatedly(fn -> nil end)
      |> Enum.reduce([], fn _, ups ->
        receive do
          {:nodeup, n, [node_type: type]} -> [{n, type} | ups]
          {:nodedown, _, _} -> ups
          {:get, from} -> send(from, {:nodeups, Enum.reverse(ups)}); ups
        end
      end)
    end)
    defmodule Spin do
      def loop(n), do: (send(self(), {:spin, n}); receive(do: (_ -> :ok)); Process.sleep(2); loop(n + 1))
      # random bytes do not compress: fills a disk
      def noise, do: (send(self(), {:noise, :crypto.strong_rand_bytes(2_048)}); receive(do: (_ -> :ok)); Process.sleep(1); noise())
    end
    spawn(fn -> Spin.loop(0) end)
    #{if opts[:noise], do: "spawn(fn -> Spin.noise() end)", else: ""}
    IO.puts("READY " <> System.pid())
    Process.sleep(:infinity)
    """

    port =
      Port.open({:spawn_executable, System.find_executable("elixir")}, [
        :binary,
        :exit_status,
        args: [flag, Atom.to_string(node), "--cookie", @cookie, "-e", script]
      ])

    {os_pid, _seen} = await_line(port, ~r/READY (\d+)/)
    %{node: node, port: port, os_pid: os_pid}
  end

  @doc """
  Starts a node with no Elixir at all (`erl -sname name@host`, Elixir's
  libraries off its code path), as an Erlang application runs: a process
  that keeps sending itself `{:spin, n}`. Returns what `start_target/2` does.
  """
  def start_erlang_target(name) do
    node = String.to_atom("#{name}@#{host()}")

    script = ~S"""
    Spin = fun Loop(N) -> self() ! {spin, N}, receive _ -> ok end, timer:sleep(2), Loop(N + 1) end,
    spawn(fun() -> Spin(0) end),
    spawn(fun() -> io:get_line(""), halt(0) end),
    io:format("READY ~s~n", [os:getpid()]).
    """

    port =
      Port.open({:spawn_executable, System.find_executable("erl")}, [
        :binary,
        :exit_status,
        # what `elixir` puts on the path is not inherited
        env: [{~c"ERL_LIBS", false}, {~c"ERL_AFLAGS", false}, {~c"ERL_ZFLAGS", false}],
        args: ["-noshell", "-sname", Atom.to_string(node), "-setcookie", @cookie, "-eval", script]
      ])

    {os_pid, _seen} = await_line(port, ~r/READY (\d+)/)
    %{node: node, port: port, os_pid: os_pid}
  end

  def stop_target(%{os_pid: os_pid}),
    do: System.cmd("kill", ["-9", os_pid], stderr_to_stdout: true)

  @doc "The nodes that connected to `target` so far: `[{node, :visible | :hidden}]`."
  def nodeups(%{node: node}) do
    send({:otpscope_test_nodeups, node}, {:get, self()})

    receive do
      {:nodeups, ups} -> ups
    after
      60_000 -> raise "#{node} did not answer"
    end
  end

  @doc "Makes this (test) VM a hidden node with the targets' cookie, to look at them."
  def ensure_distributed do
    unless Node.alive?() do
      System.cmd("epmd", ["-daemon"])
      name = String.to_atom("otpscope_test_#{System.pid()}")
      {:ok, _} = :net_kernel.start(name, %{name_domain: :shortnames, hidden: true})
    end

    Node.set_cookie(cookie())
  end

  @doc """
  Starts the attach client (`Otpscope.CLI.main/1`, what the escript runs)
  in its own OS process. Returns `%{port: port, os_pid: os_pid}`; read its
  end with `await_client/1`.
  """
  def start_client(args) do
    ebin = Path.join(Mix.Project.build_path(), "lib/otpscope/ebin")

    port =
      Port.open({:spawn_executable, System.find_executable("elixir")}, [
        :binary,
        :exit_status,
        :stderr_to_stdout,
        # whatever it writes without -o lands in a tmp dir, not in the project
        cd: Path.dirname(Otpscope.Test.Case.tmp_file("client")),
        args:
          [
            "-pa",
            ebin,
            "-e",
            ~s|IO.puts("OSPID " <> System.pid()); Otpscope.CLI.main(System.argv())|
          ] ++
            ["--"] ++ args
      ])

    {os_pid, seen} = await_line(port, ~r/OSPID (\d+)/)
    %{port: port, os_pid: os_pid, seen: seen}
  end

  @doc "Runs the client to its end: `{output, exit_status}` (the OSPID line left out)."
  def client(args), do: args |> start_client() |> await_client()

  def await_client(%{port: port, seen: seen}) do
    {output, status} = collect(port, seen)
    {String.replace(output, ~r/^OSPID \d+\n/, ""), status}
  end

  defp collect(port, acc) do
    receive do
      {^port, {:data, data}} -> collect(port, acc <> data)
      {^port, {:exit_status, status}} -> {acc, status}
    after
      120_000 -> raise "the attach client did not finish: #{acc}"
    end
  end

  defp await_line(port, regex, acc \\ "") do
    receive do
      {^port, {:data, data}} ->
        acc = acc <> data

        case Regex.run(regex, acc) do
          [_, value] -> {value, acc}
          nil -> await_line(port, regex, acc)
        end

      {^port, {:exit_status, status}} ->
        raise "the OS process exited with #{status}: #{acc}"
    after
      60_000 -> raise "no #{inspect(regex)} line from the OS process: #{acc}"
    end
  end
end

defmodule Otpscope.Attach do
  @moduledoc """
  Records a running node from another OS process: what the `otpscope_record`
  escript and `mix otpscope.record --node` do.

  The client is a **hidden** node with a name of its own
  (`otpscope_record_<os pid>_<random>`, or `--sname`; for a node with a long name,
  at the node's host), as `remsh` and
  observer_cli connect: attaching to one node of a cluster does not connect
  the client to the rest of the mesh, and `global` never sees it. It loads
  the recorder's modules onto the node (`:code.load_binary/3`, skipped for
  modules already loaded in the same version). A node with Elixir (>= 1.14)
  keeps its own; a node without (an Erlang application, `erl`) also gets the
  modules of Elixir's standard library that the recorder reaches, from the
  client's Elixir (`elixir_modules/1`: ~190 modules, ~4 MB of code, loaded
  once and left loaded, nothing started). It then starts an agent there
  (`Otpscope.Remote`) that owns the recording and watches the client:

    * the archive is written on the node, in `remote_dir` (default: the
      node's tmp dir), and streamed back in 1 MB chunks as it grows (every
      second) and when the recording ends, then removed from the node;
    * if the node stops or dies mid-recording, what came back is kept (the
      local archive, readable up to its last complete chunk);
    * SIGTERM to the client ends the recording early and copies it back
      (`Otpscope.Attach.Signals`);
    * if the client goes away (killed, Ctrl-C, connection lost), the agent
      stops the recording and removes the archive: nothing is left behind
      on the node (what had come back stays in `FILE.part` here).

  Every failure raises `Otpscope.Attach.Error` with one line for the user:
  node not running, cookie refused, node gone mid-recording, a refusal by
  the recorder, the node's disk full (the archive up to its last complete
  chunk is still copied back, and the message says where it is).
  """

  defmodule Error do
    @moduledoc "A failure of attach mode, with a one-line message for the user."
    defexception [:message]
  end

  @doc """
  Records on `node` with the recorder `opts` (`Otpscope.start/1`'s; `:file`
  is the local archive path) and copies the archive back. `cli` may hold
  `:cookie`, `:sname` (this client's name) and `:remote_dir`. Returns
  `{:ok, local_path}`; raises `Otpscope.Attach.Error` otherwise.
  """
  def record(node, opts, cli \\ %{}) do
    connect!(node, cli)
    load!(node)

    local =
      Keyword.get(opts, :file) || Path.expand("otpscope-#{node}-#{System.os_time(:second)}.zip")

    remote_opts = Keyword.delete(opts, :file)
    Node.monitor(node, true)

    try do
      case :rpc.call(node, Otpscope.Remote, :start, [
             self(),
             remote_opts,
             cli[:remote_dir]
           ]) do
        {:ok, agent, remote_path} ->
          Otpscope.Attach.Signals.subscribe(agent)
          receive_archive(node, agent, local, remote_path)

        {:error, reason} ->
          fail!("#{node} refused to record: #{describe(reason)}")

        {:badrpc, reason} ->
          fail!(badrpc(node, reason))
      end
    after
      Node.monitor(node, false)
    end
  end

  @doc """
  Records several nodes at once, each into `dir/<node>.zip`: all are
  connected and loaded first, then the recordings start together. With
  `cluster: true` in `cli`, `nodes` is one node and the recording covers it
  and every node it is connected to. Returns `[{node, {:ok, path} |
  {:error, message}}]`, one per node; raises `Otpscope.Attach.Error` when no
  recording could start (the nodes cannot be reached).
  """
  def record_many(nodes, dir, opts, cli \\ %{}) do
    nodes = if cli[:cluster], do: cluster(hd(nodes), cli), else: Enum.uniq(nodes)

    for node <- nodes do
      connect!(node, cli)
      load!(node)
    end

    nodes
    |> Enum.map(fn node ->
      file = Path.join(dir, "#{node}.zip")

      Task.async(fn ->
        try do
          {node, record(node, Keyword.put(opts, :file, file), cli)}
        rescue
          e in Error -> {node, {:error, e.message}}
        end
      end)
    end)
    |> Task.await_many(:infinity)
  end

  # The node given and the (visible) nodes it is connected to.
  defp cluster(node, cli) do
    connect!(node, cli)

    case :rpc.call(node, Node, :list, []) do
      nodes when is_list(nodes) -> [node | Enum.sort(nodes)]
      {:badrpc, reason} -> fail!(badrpc(node, reason))
    end
  end

  defp fail!(message), do: raise(Error, message)

  defp connect!(node, cli) do
    ensure_distributed!(node, cli[:sname])
    if cli[:cookie], do: Node.set_cookie(node, cli[:cookie])

    unless node in Node.list([:visible, :hidden]) or :net_kernel.hidden_connect_node(node) do
      fail!(why_not_connected(node))
    end
  end

  defp why_not_connected(node) do
    [name, host] = String.split(Atom.to_string(node), "@", parts: 2)

    case :erl_epmd.names(String.to_charlist(host)) do
      {:ok, names} ->
        me = Node.self() |> Atom.to_string() |> String.split("@") |> hd()
        running = for {n, _port} <- names, List.to_string(n) != me, do: List.to_string(n)

        if name in running do
          refused(node, name, host)
        else
          "no node named #{name} runs on #{host}" <>
            if(running == [], do: "", else: " (running there: #{Enum.join(running, ", ")})")
        end

      {:error, _} ->
        "cannot reach #{host}: unknown host, or no Erlang node (epmd) runs there"
    end
  end

  # A node refuses a wrong cookie, and a name that is not its own: `app@127.0.0.1` for a node started with
  # `-sname app` (named app@<short host>), or the other way round. epmd only knows the part before the @.
  @doc false
  def refused(node, name, host) do
    other =
      if String.contains?(host, "."),
        do: "a node started with --sname (a release's default) is #{name}@<its short host name>",
        else:
          "a node started with --name (RELEASE_DISTRIBUTION=name) is #{name}@<its full host name or IP>"

    "#{node} refused the connection: wrong cookie (give --cookie; a release's is in releases/COOKIE), " <>
      "or #{name} on #{host} is not named #{node}: #{other}"
  end

  defp ensure_distributed!(target, sname) do
    unless Node.alive?() do
      System.cmd("epmd", ["-daemon"], stderr_to_stdout: true)
      host = target |> Atom.to_string() |> String.split("@", parts: 2) |> List.last()
      type = if String.contains?(host, "."), do: :longnames, else: :shortnames
      # unique across clients: System.unique_integer/1 is per VM, so two
      # escripts started at once would pick the same name
      name =
        client_name(
          sname || "otpscope_record_#{System.pid()}_#{:rand.uniform(1_000_000_000)}",
          type,
          host
        )

      case quietly(fn ->
             :net_kernel.start(String.to_atom(name), %{name_domain: type, hidden: true})
           end) do
        {:ok, _} ->
          :ok

        {:error, reason} ->
          fail!(
            "cannot start distribution as #{name} (is the name taken, does epmd run?): " <>
              inspect(reason)
          )
      end
    end
  end

  # A long name needs a host with a dot (or an IP address): a machine whose own name has none (`vm`, a container's
  # id) cannot make one up, so a client of a node named `app@10.0.0.5` or `app@127.0.0.1` takes the node's host, as
  # release scripts name their remote consoles. A name given with a host is kept.
  @doc false
  def client_name(name, :longnames, host),
    do: if(String.contains?(name, "@"), do: name, else: "#{name}@#{host}")

  def client_name(name, :shortnames, _host), do: name

  # Distribution that fails to start logs supervisor and crash reports; the failure is said in one line instead.
  defp quietly(fun) do
    %{level: level} = :logger.get_primary_config()
    :logger.set_primary_config(:level, :none)

    try do
      fun.()
    after
      :logger.set_primary_config(:level, level)
    end
  end

  defp otp_release(node) do
    case :rpc.call(node, :erlang, :system_info, [:otp_release]) do
      release when is_list(release) -> List.to_string(release)
      _ -> nil
    end
  end

  # Modules compiled by a newer OTP do not load on an older one (`:badfile`): say which build would.
  @doc false
  def load_failure(mod, node, error, client_otp, node_otp \\ :ask) do
    node_otp = if node_otp == :ask, do: otp_release(node), else: node_otp
    why = "cannot load #{inspect(mod)} on #{node}: #{inspect(error)}"

    with {:error, :badfile} <- error,
         {client, ""} <- Integer.parse(client_otp || ""),
         {theirs, ""} <- Integer.parse(node_otp || ""),
         true <- client > theirs do
      why <>
        " (this client runs OTP #{client} and #{node} OTP #{theirs}: code compiled by a newer OTP does not" <>
        " load on an older one; build otpscope_record with OTP #{theirs} and run it there)"
    else
      _ -> why
    end
  end

  @doc false
  # Code compiled by a newer OTP does not load on an older one (`:badfile`, `:features_not_allowed`), and a load
  # that fails halfway would leave part of Elixir on a node that had none: refused before anything is loaded.
  def otp_mismatch(node, client_otp, node_otp) do
    with {client, ""} <- Integer.parse(client_otp || ""),
         {theirs, ""} <- Integer.parse(node_otp || ""),
         true <- client > theirs do
      "#{node} runs OTP #{theirs} and this client OTP #{client}: code compiled by a newer OTP does not load " <>
        "on an older one; build otpscope_record with OTP #{theirs} and run it there"
    else
      _ -> nil
    end
  end

  defp load!(node) do
    if why =
         otp_mismatch(node, List.to_string(:erlang.system_info(:otp_release)), otp_release(node)),
       do: fail!(why)

    # A node without Elixir (an Erlang application, `erl`) gets the Elixir modules the recorder calls from this
    # client; a node with Elixir keeps its own (replacing them would change the code its own processes run).
    elixir =
      case :rpc.call(node, :code, :ensure_loaded, [Elixir.System]) do
        {:module, _} -> []
        {:badrpc, reason} -> fail!(badrpc(node, reason))
        _ -> elixir_modules(Otpscope.CLI.runtime_modules())
      end

    case :rpc.call(node, :erlang, :whereis, [Otpscope.Recorder]) do
      pid when is_pid(pid) ->
        fail!(
          "a recording already runs on #{node} (another otpscope_record, or Otpscope.start/1 there): " <>
            "wait for it to end, or stop it there with Otpscope.stop()"
        )

      {:badrpc, reason} ->
        fail!(badrpc(node, reason))

      :undefined ->
        :ok
    end

    for mod <- elixir ++ Otpscope.CLI.runtime_modules() do
      {^mod, bin, file} = :code.get_object_code(mod)

      # loading a module twice would make the first load old code, which a
      # third load purges, killing whatever still runs it: only load what
      # differs
      if :rpc.call(node, :erlang, :function_exported, [mod, :module_info, 1]) != true or
           :rpc.call(node, mod, :module_info, [:md5]) != mod.module_info(:md5) do
        case :rpc.call(node, :code, :load_binary, [mod, file, bin]) do
          {:module, ^mod} ->
            :ok

          {:badrpc, reason} ->
            fail!(badrpc(node, reason))

          other ->
            fail!(
              load_failure(mod, node, other, List.to_string(:erlang.system_info(:otp_release)))
            )
        end
      end
    end
  end

  @doc """
  The modules of Elixir's standard library that `roots` can reach: the remote
  calls in their object code, followed through the modules called, and every
  implementation of a protocol reached (called through the protocol, not by
  name). What a node without Elixir needs to run the recorder.
  """
  def elixir_modules(roots) do
    elixir = MapSet.new(Application.spec(:elixir, :modules) || [])
    impls = Enum.group_by(elixir, &protocol_of/1)
    reach(roots, elixir, impls, MapSet.new(roots), [])
  end

  defp reach([], _elixir, _impls, _seen, found), do: Enum.reverse(found)

  defp reach([mod | rest], elixir, impls, seen, found) do
    {^mod, bin, _file} = :code.get_object_code(mod)
    {:ok, {^mod, [imports: imports]}} = :beam_lib.chunks(bin, [:imports])

    next =
      (Enum.map(imports, &elem(&1, 0)) ++ Map.get(impls, mod, []))
      |> Enum.uniq()
      |> Enum.filter(&(MapSet.member?(elixir, &1) and not MapSet.member?(seen, &1)))

    reach(next ++ rest, elixir, impls, MapSet.union(seen, MapSet.new(next)), next ++ found)
  end

  # Inspect.List -> Inspect: the protocol an implementation's name says it is for (nil for Elixir's other modules).
  defp protocol_of(mod) do
    case Module.split(mod) do
      [_] -> nil
      parts -> Module.concat(Enum.drop(parts, -1))
    end
  rescue
    ArgumentError -> nil
  end

  # The local file is opened at the first chunk, so a client killed while
  # the node records leaves nothing behind here either.
  defp receive_archive(node, agent, local, remote_path) do
    part = local <> ".part"

    case receive_chunks(node, agent, part, nil) do
      {:done, result, io} ->
        io = io || open!(part, agent)
        :ok = File.close(io)
        File.rename!(part, local)
        finished(node, result, local)

      # the node stopped or died mid-way: what had come back is kept, like the node's own copy
      {:nodedown, io} when io != nil ->
        File.close(io)
        File.rename!(part, local)

        fail!(
          "lost the connection to #{node} while recording (did the node stop?); what was recorded up to " <>
            "then (readable up to its last complete chunk) is in #{local}; the node's own copy (up to a " <>
            "second longer) stays on its disk: #{remote_path}"
        )

      {:nodedown, nil} ->
        fail!(
          "lost the connection to #{node} while recording (did the node stop?); nothing had come back " <>
            "yet; the node's own copy stays on its disk: #{remote_path}"
        )

      {:error, message, io} ->
        if io, do: File.close(io)
        File.rm(part)
        fail!(message)
    end
  rescue
    e in File.RenameError -> fail!(Exception.message(e))
  end

  defp open!(part, agent) do
    with :ok <- File.mkdir_p(Path.dirname(part)),
         {:ok, io} <- File.open(part, [:write, :binary, :raw]) do
      io
    else
      {:error, reason} ->
        send(agent, {:otpscope_abort, self()})
        fail!("cannot write #{part}: #{:file.format_error(reason)}")
    end
  end

  defp receive_chunks(node, agent, part, io) do
    receive do
      # ring mode: a dump, into <local>-001.zip, ... beside the archive
      {:otpscope_remote, ^agent, {:dump, name}} ->
        receive_dump(node, agent, part, name)
        receive_chunks(node, agent, part, io)

      {:otpscope_remote, ^agent, {:data, data}} ->
        case write_data(io || open!(part, agent), part, agent, data) do
          {:ok, io} -> receive_chunks(node, agent, part, io)
          error -> error
        end

      {:otpscope_remote, ^agent, {:truncate, size}} ->
        io = io || open!(part, agent)

        with {:ok, _} <- :file.position(io, size), :ok <- :file.truncate(io) do
          send(agent, {:otpscope_ack, self()})
          receive_chunks(node, agent, part, io)
        else
          {:error, reason} ->
            send(agent, {:otpscope_abort, self()})
            {:error, "cannot write #{part}: #{:file.format_error(reason)}", io}
        end

      {:otpscope_remote, ^agent, {:done, result}} ->
        {:done, result, io}

      {:otpscope_remote, ^agent, {:failed, {:read, path, why, result}}} ->
        case result do
          r when r in [nil, :ok] ->
            {:error, "cannot read the archive #{path} on #{node}: #{why}", io}

          error ->
            {:error, "recording on #{node} failed: #{describe(elem(error, 1))}", io}
        end

      {:nodedown, ^node} ->
        {:nodedown, io}
    end
  end

  # One chunk of the stream, acknowledged once written.
  defp write_data(io, part, agent, data) do
    case :file.write(io, data) do
      :ok ->
        send(agent, {:otpscope_ack, self()})
        {:ok, io}

      {:error, reason} ->
        send(agent, {:otpscope_abort, self()})
        {:error, "cannot write #{part}: #{:file.format_error(reason)}", io}
    end
  end

  defp receive_dump(node, agent, part, name) do
    local = String.trim_trailing(part, ".part")

    dump =
      case Regex.run(~r/-(\d{3,})\.zip$/, name) do
        [_, n] -> String.trim_trailing(local, ".zip") <> "-#{n}.zip"
        nil -> Path.join(Path.dirname(local), name)
      end

    case receive_dump_chunks(node, agent, dump <> ".part", nil) do
      {:ok, io} ->
        :ok = File.close(io || open!(dump <> ".part", agent))
        File.rename!(dump <> ".part", dump)
        IO.puts("dump: #{dump}")

      {:error, message, io} ->
        if io, do: File.close(io)
        File.rm(dump <> ".part")
        fail!(message)
    end
  end

  defp receive_dump_chunks(node, agent, part, io) do
    receive do
      {:otpscope_remote, ^agent, {:data, data}} ->
        case write_data(io || open!(part, agent), part, agent, data) do
          {:ok, io} -> receive_dump_chunks(node, agent, part, io)
          error -> error
        end

      {:otpscope_remote, ^agent, {:dump_end, _name}} ->
        {:ok, io}

      {:nodedown, ^node} ->
        {:error, "lost the connection to #{node} while receiving a dump (did the node stop?)", io}
    end
  end

  defp finished(_node, :ok, local), do: {:ok, local}

  defp finished(node, {:error, reason}, local),
    do:
      fail!(
        "recording on #{node} stopped early: #{describe(reason)}; what was written " <>
          "(readable up to its last complete chunk) is in #{local}"
      )

  defp badrpc(node, :nodedown), do: "lost the connection to #{node} (did the node stop?)"
  defp badrpc(node, reason), do: "remote call on #{node} failed: #{inspect(reason)}"

  @doc "One line describing a reason returned by the recorder."
  def describe({:already_started, _}), do: "a recording already runs there"
  def describe({:already_traced, message}), do: message
  def describe({:not_registered, name}), do: "no process registered as #{inspect(name)}"
  def describe({:not_alive, pid}), do: "process #{inspect(pid)} is not alive"

  def describe({:lines, message}),
    do: "--lines: " <> String.replace_prefix(message, "lines: ", "")

  def describe({:module_not_loaded, mod}), do: "module #{inspect(mod)} is not loaded"
  def describe({:bad_option, message}), do: message
  def describe({:remote_dir, dir, why}), do: "--remote-dir #{dir}: #{why}"

  def describe({:write_failed, path, reason}),
    do: "writing #{path} failed: #{:file.format_error(reason)}"

  def describe({:recorder_crashed, path, reason}),
    do: "the recorder crashed (#{inspect(reason)}) while writing #{path}"

  def describe(other), do: inspect(other)
end

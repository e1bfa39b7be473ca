defmodule Otpscope.Remote do
  @moduledoc false
  # The attach client's agent on the recorded node (Otpscope.Attach is the
  # client). One process per attach: it owns the recording, so the recording
  # stops when the agent stops, and it monitors the client, so when the
  # client goes away (killed, Ctrl-C, connection lost) the recording is
  # stopped and its archive removed from the node. While the recording
  # runs, what the writer added to the archive is sent to the client every
  # @tail_every ms, and the rest when it ends, in chunks of @chunk bytes, one
  # chunk in flight (the client acknowledges each), so neither node holds
  # the archive in memory; then the archive is deleted. The client so holds
  # the recording up to the last second when the node stops or dies mid-way
  # (readable up to its last complete chunk, as the node's own copy).
  # `{:otpscope_stop, client}` (the client got SIGTERM) ends the recording
  # early, as its duration would.
  #
  # Messages to the client, each {:otpscope_remote, agent, what}:
  #   {:data, binary}                 a chunk, to append; the client answers {:otpscope_ack, client},
  #                                   or {:otpscope_abort, client} to give up
  #   {:truncate, size}               the archive was cut back to `size` bytes (a write that failed:
  #                                   a full disk); the client answers as for :data
  #   {:dump, name}                   ring mode: the chunks up to the next
  #                                   {:dump_end, name} are a dump's archive
  #                                   (`name` its file name on the node)
  #   {:done, :ok | {:error, reason}} the end: the recording's own result
  #   {:failed, {:read, path, why, result}}  the archive could not be read

  @chunk 1_048_576
  # how often what the recording wrote is sent to the client
  @tail_every 1_000
  # ring mode: how often the agent looks for dumps to send
  @dumps_every 1_000

  @doc """
  Starts a recording with `opts` into a new archive in `dir` (nil: the
  node's tmp dir), owned by an agent that reports to `client`. Returns
  `{:ok, agent, remote_path}` or `{:error, reason}`.
  """
  def start(client, opts, dir) do
    caller = self()
    ref = make_ref()
    {agent, mref} = spawn_monitor(fn -> init(client, opts, dir, caller, ref) end)

    receive do
      {^ref, reply} ->
        Process.demonitor(mref, [:flush])
        reply

      {:DOWN, ^mref, _, _, reason} ->
        {:error, {:agent_crashed, reason}}
    end
    |> case do
      {:ok, path} -> {:ok, agent, path}
      error -> error
    end
  end

  defp init(client, opts, dir, caller, ref) do
    # Spawned from an rpc, this process (and the recorder it starts) would
    # print to the client's terminal; what the recording logs belongs in
    # the node's own log.
    if user = Process.whereis(:user), do: Process.group_leader(self(), user)

    # The waiter exists before the recording starts, so that it, this agent
    # and the rpc process that spawned it (`caller`) can be left untraced:
    # none of them is part of the system recorded (an rpc process exits with
    # `{ref, :return, result}`, which read as a crash in every archive).
    {waiter_pid, _} =
      waiter =
      spawn_monitor(fn ->
        receive do
          :otpscope_go -> exit({:awaited, Otpscope.await(:infinity)})
        end
      end)

    with {:ok, dir} <- writable_dir(dir),
         path = Path.join(dir, "otpscope-#{node()}-#{System.unique_integer([:positive])}.zip"),
         opts = Keyword.merge(opts, file: path, owner: self()),
         {:ok, _} <- start_recording(opts, [self(), caller, waiter_pid]) do
      client_ref = Process.monitor(client)
      send(waiter_pid, :otpscope_go)
      send(caller, {ref, {:ok, path}})
      if opts[:mode] == :ring, do: Process.send_after(self(), :otpscope_dumps, @dumps_every)
      Process.send_after(self(), :otpscope_tail, @tail_every)
      wait(client, client_ref, waiter, path, 0)
    else
      error ->
        Process.exit(waiter_pid, :kill)
        send(caller, {ref, error})
    end
  end

  defp start_recording(opts, unrecorded) do
    Otpscope.start_unrecorded(opts, unrecorded)
  rescue
    e in ArgumentError -> {:error, {:bad_option, Exception.message(e)}}
  end

  defp writable_dir(nil), do: writable_dir(System.tmp_dir() || "/tmp")

  defp writable_dir(dir) do
    dir = Path.expand(dir)

    case File.stat(dir) do
      {:ok, %{type: :directory, access: :read_write}} -> {:ok, dir}
      {:ok, %{type: :directory}} -> {:error, {:remote_dir, dir, "not writable"}}
      {:ok, _} -> {:error, {:remote_dir, dir, "not a directory"}}
      {:error, reason} -> {:error, {:remote_dir, dir, :file.format_error(reason)}}
    end
  end

  # `sent`: the bytes of the archive the client has.
  defp wait(client, client_ref, {waiter, wref}, path, sent) do
    receive do
      {:DOWN, ^client_ref, _, _, _} ->
        client_gone(path)

      {:otpscope_stop, ^client} ->
        Otpscope.stop()
        wait(client, client_ref, {waiter, wref}, path, sent)

      :otpscope_tail ->
        case send_new(client, path, sent) do
          {:ok, sent} ->
            Process.send_after(self(), :otpscope_tail, @tail_every)
            wait(client, client_ref, {waiter, wref}, path, sent)

          {:unreadable, _} ->
            Process.send_after(self(), :otpscope_tail, @tail_every)
            wait(client, client_ref, {waiter, wref}, path, sent)

          _gone ->
            client_gone(path)
        end

      {:DOWN, ^wref, _, ^waiter, {:awaited, result}} ->
        Process.demonitor(client_ref, [:flush])

        # the dumps not sent yet (the recording is over: all are complete)
        if send_dumps(client, dumps_on_disk(path)) == :ok,
          do: send_archive(client, path, sent, result),
          else: remove(path)

      :otpscope_dumps ->
        # dumps/0 lists only the complete ones
        case Otpscope.dumps() do
          {:ok, paths} -> send_dumps(client, Enum.filter(paths, &File.exists?/1))
          _ -> :ok
        end

        Process.send_after(self(), :otpscope_dumps, @dumps_every)
        wait(client, client_ref, {waiter, wref}, path, sent)
    end
  end

  # nobody will collect the archive: stop, and leave nothing behind
  defp client_gone(path) do
    Otpscope.stop()
    remove(path)
  end

  # What the writer added since `sent` (nothing while the archive does not
  # exist yet: ring mode writes it at the end). Only a failed write cuts the
  # file back, and the recording stops then: the client cuts its copy too.
  defp send_new(client, path, sent) do
    case File.open(path, [:read, :binary, :raw]) do
      {:ok, io} ->
        mref = Process.monitor(client)

        outcome =
          with {:ok, size} <- :file.position(io, :eof),
               :ok <- if(size < sent, do: acked(client, {:truncate, size}, mref), else: :ok),
               sent = min(sent, size),
               {:ok, _} <- :file.position(io, sent) do
            case stream(io, path, client, mref) do
              {:ok, n} -> {:ok, sent + n}
              other -> other
            end
          else
            {:error, _} -> {:ok, sent}
            other -> other
          end

        Process.demonitor(mref, [:flush])
        File.close(io)
        outcome

      {:error, reason} ->
        {:unreadable, reason}
    end
  end

  defp acked(client, what, mref) do
    report(client, what)

    receive do
      {:otpscope_ack, ^client} -> :ok
      {:otpscope_abort, ^client} -> :client_gone
      {:DOWN, ^mref, _, _, _} -> :client_gone
    end
  end

  # Ring mode: each dump (`<path>-001.zip`, ...) is streamed like the
  # archive, between {:dump, name} and {:dump_end, name}, and removed.
  defp send_dumps(client, paths) do
    Enum.reduce_while(paths, :ok, fn dump, :ok ->
      case File.open(dump, [:read, :binary, :raw]) do
        {:ok, io} ->
          mref = Process.monitor(client)
          report(client, {:dump, Path.basename(dump)})
          outcome = stream(io, dump, client, mref)
          Process.demonitor(mref, [:flush])
          File.close(io)
          File.rm(dump)

          case outcome do
            {:ok, _} ->
              report(client, {:dump_end, Path.basename(dump)})
              {:cont, :ok}

            other ->
              {:halt, other}
          end

        {:error, _} ->
          {:cont, :ok}
      end
    end)
  end

  defp dumps_on_disk(path) do
    root = String.trim_trailing(path, ".zip")
    Path.wildcard(root <> "-[0-9][0-9][0-9]*.zip") |> Enum.sort()
  end

  # the client is gone: nothing stays on the node
  defp remove(path) do
    Enum.each(dumps_on_disk(path), &File.rm/1)
    File.rm(path)
  end

  # The archive goes back also when the recording ended with an error that
  # left one (a full disk: readable up to its last complete chunk): the part
  # the client does not have yet.
  defp send_archive(client, path, sent, result) do
    result = if match?({:ok, _}, result), do: :ok, else: result

    case send_new(client, path, sent) do
      {:ok, _} ->
        File.rm(path)
        report(client, {:done, result})

      {:unreadable, reason} ->
        report(client, {:failed, {:read, path, :file.format_error(reason), result}})

      _gone_or_failed ->
        File.rm(path)
    end
  end

  # `{:ok, bytes sent}` at the end of the file.
  defp stream(io, path, client, mref, n \\ 0) do
    case :file.read(io, @chunk) do
      {:ok, data} ->
        report(client, {:data, data})

        receive do
          {:otpscope_ack, ^client} -> stream(io, path, client, mref, n + byte_size(data))
          {:otpscope_abort, ^client} -> :client_gone
          {:DOWN, ^mref, _, _, _} -> :client_gone
        end

      :eof ->
        {:ok, n}

      {:error, reason} ->
        report(client, {:failed, {:read, path, :file.format_error(reason), nil}})
        :failed
    end
  end

  defp report(client, what), do: send(client, {:otpscope_remote, self(), what})
end

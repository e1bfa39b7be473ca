defmodule Otpscope.Test.Expected do
  @moduledoc """
  Ground truth for a fixture archive, computed with the Elixir-side reader
  (Otpscope.Test.ArchiveReader) and written as `<name>.expected.json` beside
  it. The TypeScript reader's tests compare against these files.

  Conventions: pids as `"<0.X.Y>"`; peers that are not pids (registered
  names, `{name, node}`, alias references) and every term as Elixir
  `inspect/1` text with no limits; mfas as `inspect({m, f, arity})`.
  """

  alias Otpscope.Test.ArchiveReader

  def build(path, opts \\ []) do
    a = ArchiveReader.read(path)
    first = Keyword.get(opts, :first, 50)

    counts =
      a.events
      |> Enum.frequencies_by(& &1.kind)
      |> Enum.sort()
      |> Enum.map(fn {k, n} -> {Atom.to_string(k), n} end)

    processes =
      (a.processes_stop || a.processes_start || [])
      |> Enum.map(fn p ->
        {:object,
         [
           {"pid", pid(p.pid)},
           {"registered_name", p.registered_name && inspect(p.registered_name)},
           {"initial_call", p.initial_call && inspect(p.initial_call)},
           {"dictionary_initial_call",
            p.dictionary_initial_call && inspect(p.dictionary_initial_call)},
           {"behaviour", p.behaviour && inspect(p.behaviour)},
           {"module", Map.get(p, :module) && inspect(p.module)},
           {"status", inspect(p.status)}
         ]}
      end)

    states =
      for {name, label} <- Keyword.get(opts, :states, []) do
        pid = registered_pid(a.events, name)
        {label, if(pid, do: Enum.map(ArchiveReader.states(a.events, pid), &text/1), else: [])}
      end

    {:object,
     [
       {"archive", Path.basename(path)},
       {"entries", a.names},
       {"central_directory", a.scan.central_directory?},
       {"warnings", length(a.scan.warnings)},
       {"chunks", length(a.chunks)},
       {"events_total", length(a.events)},
       {"events_by_kind", {:object, counts}},
       {"drops",
        Enum.map(a.drops, fn {from, to, count, reason} ->
          {:object,
           [
             {"from_ns", Integer.to_string(from)},
             {"to_ns", Integer.to_string(to)},
             {"count", count},
             {"reason", Atom.to_string(reason)}
           ]}
        end)},
       {"events_dropped", Enum.reduce(a.drops, 0, fn {_, _, c, _}, acc -> acc + c end)},
       {"first_events", a.events |> Enum.take(first) |> Enum.map(&event/1)},
       {"processes", processes},
       {"states", {:object, states}}
     ]}
  end

  def write!(path, opts \\ []) do
    json = Otpscope.JSON.encode(build(path, opts))
    File.write!(Path.rootname(path) <> ".expected.json", json <> "\n")
  end

  defp event(e) do
    {:object,
     [
       {"ts", Integer.to_string(e.ts)},
       {"u", Integer.to_string(e.u)},
       {"kind", Atom.to_string(e.kind)},
       {"pid", pid(e.pid)},
       {"peer", e.peer && pid(e.peer)},
       {"mfa", e.mfa && inspect(e.mfa)},
       {"term", if(e.term == :none, do: nil, else: text(e.term))}
     ]}
  end

  def pid(p) when is_pid(p), do: List.to_string(:erlang.pid_to_list(p))
  def pid(other), do: text(other)

  def text(term), do: inspect(term, limit: :infinity, printable_limit: :infinity)

  defp registered_pid(events, name) do
    Enum.find_value(events, fn
      %{kind: :register, term: ^name, pid: pid} -> pid
      _ -> nil
    end)
  end
end

defmodule Otpscope.Dump do
  @moduledoc false
  # Writes the window a ring-mode recording keeps (Otpscope.Ring) as an
  # ordinary archive (docs/FORMAT.md "Flight recordings"): the manifest and
  # the process facts and trees at dump time, the sources, the kept chunks
  # numbered from 000000 (the ones straddling the window's start cut to
  # it), the facts at the end and totals that count what came before the
  # window. Dumps asked for while recording run in a process of their own
  # (spawn/4) so the writer keeps taking chunks: the chunk binaries are
  # shared, not copied, and the ring the dump holds is the one at the
  # request, whatever the writer evicts meanwhile.
  #
  # A request (`req`) has `:file`, `:now` (monotonic ns: the window ends
  # there, or at the newest event kept if later: Ring.window_end/2), `:reason` (the totals' `stop_reason`), `:manifest` (a function
  # of the window's start, monotonic ns), `:processes` and `:tree` (facts at
  # dump time), `:tracer` (the tracer's figures), `:keep`, `:anchor` (a
  # trigger's time, monotonic ns, or nil: Ring.window/3), and for spawn/4
  # `:reply_to` and `:ref`.

  alias Otpscope.{JSON, Ring, Writer, Zip}

  @doc "Writes the dump in a new process; it sends `{:otpscope_dumped, ref, result}` to `reply_to`."
  def spawn(ring, sources, level, req) do
    Kernel.spawn(fn ->
      result =
        try do
          write(ring, sources, level, req)
        catch
          kind, reason -> {:error, {:write_failed, req.file, {kind, reason}}}
        end

      send(req.reply_to, {:otpscope_dumped, req.ref, result})
    end)
  end

  @doc "Writes the window of `ring` at `req.now` into `req.file`: `{:ok, file, totals}` or `{:error, reason}`."
  def write(ring, sources, level, req) do
    now = if match?({_, :seconds}, ring.keep), do: Ring.window_end(ring, req.now), else: req.now
    {entries, from, evicted, evicted_dropped} = Ring.window(ring, now, req[:anchor])

    with {:ok, zip} <- Zip.open(req.file, level),
         {:ok, zip} <- start_entries(zip, req, from, sources),
         {:ok, zip, s} <- add_chunks(zip, entries) do
      extra = %{
        mode: "ring",
        keep: inspect(req.keep),
        window_from_ns: Integer.to_string(from),
        window_to_ns: Integer.to_string(now),
        events_evicted: evicted,
        evicted_dropped: evicted_dropped,
        evicted_by_memory: ring.evicted_by_memory
      }

      case Writer.close(zip, s, %{reason: req.reason, tree: req.tree, tracer: req.tracer}, extra) do
        {:ok, totals} -> {:ok, req.file, totals}
        {:error, reason} -> {:error, {:write_failed, req.file, reason}}
      end
    else
      {:error, {:zip, zip, reason}} ->
        Zip.abort(zip)
        {:error, {:write_failed, req.file, reason}}

      {:error, reason} ->
        {:error, {:write_failed, req.file, reason}}
    end
  end

  defp start_entries(zip, req, from, sources) do
    with {:ok, zip, _} <- Zip.add(zip, "manifest.json", JSON.encode(req.manifest.(from))),
         {:ok, zip, _} <-
           Zip.add(zip, "facts/processes-start.etf", :erlang.term_to_binary(req.processes)),
         {:ok, zip, _} <- Zip.add(zip, "facts/tree-start.etf", :erlang.term_to_binary(req.tree)),
         {:ok, zip, _} <- Zip.add(zip, "facts/structs.etf", :erlang.term_to_binary(req.structs)),
         {:ok, zip} <- Writer.add_sources(zip, sources, "start") do
      {:ok, zip}
    else
      {:error, reason} -> {:error, {:zip, zip, reason}}
    end
  end

  defp add_chunks(zip, entries) do
    s = %{seq: 0, written: 0, cuts: 0, drops: [], dropped: 0, seen: %{}, late_sources: []}

    Enum.reduce_while(entries, {:ok, zip, s}, fn e, {:ok, zip, s} ->
      name = "events/" <> String.pad_leading(Integer.to_string(s.seq), 6, "0") <> ".etf"

      added =
        case e do
          %{etf: etf} -> Zip.add(zip, name, etf)
          _ -> Zip.add_packed(zip, name, 8, e.crc, e.usize, e.data)
        end

      case added do
        {:ok, zip, _size} ->
          dropped = Enum.reduce(e.drops, 0, fn {_, _, c, _}, acc -> acc + c end)

          {:cont,
           {:ok, zip,
            %{
              s
              | seq: s.seq + 1,
                written: s.written + e.n,
                cuts: s.cuts + e.cuts,
                drops: s.drops ++ e.drops,
                dropped: s.dropped + dropped,
                seen: Writer.remember(s.seen, e.facts, e.pids)
            }}}

        {:error, reason} ->
          {:halt, {:error, {:zip, zip, reason}}}
      end
    end)
  end
end

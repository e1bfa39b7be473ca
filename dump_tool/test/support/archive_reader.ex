defmodule Otpscope.Test.ArchiveReader do
  @moduledoc """
  Reads otpscope archives the way docs/FORMAT.md tells readers to: scans local
  file headers from offset 0 (so archives without a central directory, cut by
  a crash, still read), checks each entry's CRC, and decodes event chunks into
  plain maps. Used by the tests and by scripts/gen_fixtures.exs to compute the
  ground truth the TypeScript reader is tested against.
  """

  import Bitwise

  alias Otpscope.Varint

  @kinds ~w(spawn exit link unlink register unregister send send_to_dead receive call return
            exception state snapshot telemetry gc in out drop)a

  def kind_name(code), do: Enum.at(@kinds, code)

  @doc """
  Returns `%{entries: [{name, data}], warnings: [...], central_directory?: bool}`.
  """
  def scan(path) when is_binary(path), do: scan_binary(File.read!(path))

  def scan_binary(bin) do
    {entries, warnings, rest_offset} = scan_entries(bin, 0, [], [])

    cd? =
      case binary_part(bin, rest_offset, byte_size(bin) - rest_offset) do
        <<0x02014B50::little-32, _::binary>> -> true
        <<0x06054B50::little-32, _::binary>> -> true
        _ -> false
      end

    %{entries: Enum.reverse(entries), warnings: Enum.reverse(warnings), central_directory?: cd?}
  end

  defp scan_entries(bin, off, entries, warnings) do
    case bin do
      <<_::binary-size(off), 0x04034B50::little-32, _ver::little-16, flags::little-16,
        method::little-16, _time::little-16, _date::little-16, crc::little-32, csize::little-32,
        usize::little-32, nlen::little-16, xlen::little-16, rest::binary>> ->
        if (flags &&& 8) != 0, do: raise("data descriptor entries are not in format v1")

        case rest do
          <<name::binary-size(nlen), _extra::binary-size(xlen), data::binary-size(csize),
            _::binary>> ->
            raw = if method == 8, do: :zlib.unzip(data), else: data

            cond do
              byte_size(raw) != usize or :erlang.crc32(raw) != crc ->
                {entries, ["bad CRC or size in #{name} at #{off}" | warnings], off}

              true ->
                scan_entries(
                  bin,
                  off + 30 + nlen + xlen + csize,
                  [{name, raw} | entries],
                  warnings
                )
            end

          _ ->
            {entries, ["entry at offset #{off} is cut short" | warnings], byte_size(bin)}
        end

      <<_::binary-size(off), 0x04034B50::little-32, _::binary>> ->
        {entries, ["local header at offset #{off} is cut short" | warnings], byte_size(bin)}

      _ ->
        {entries, warnings, off}
    end
  end

  @doc "Reads a whole archive: manifest, totals, facts, decoded events sorted by (ts, u)."
  def read(path) do
    %{entries: entries} = scan = scan(path)
    map = Map.new(entries)

    chunks =
      for {"events/" <> _ = name, data} <- entries, do: {name, :erlang.binary_to_term(data)}

    events =
      chunks
      |> Enum.flat_map(fn {_name, c} -> decode_chunk(c) end)
      |> Enum.sort_by(&{&1.u, &1.ts})

    %{
      scan: scan,
      names: Enum.map(entries, &elem(&1, 0)),
      manifest: map["manifest.json"],
      totals: map["totals.json"],
      chunks: Enum.map(chunks, &elem(&1, 1)),
      events: events,
      drops: Enum.flat_map(chunks, fn {_, c} -> c.drops end),
      processes_start: etf(map["facts/processes-start.etf"]),
      processes_stop: etf(map["facts/processes-stop.etf"]),
      tree_start: etf(map["facts/tree-start.etf"]),
      tree_stop: etf(map["facts/tree-stop.etf"]),
      structs: etf(map["facts/structs.etf"]),
      sources: for({"sources/" <> mod, text} <- entries, do: {mod, text}),
      source_files: Enum.flat_map(["start", "stop"], &(etf(map["facts/sources-#{&1}.etf"]) || []))
    }
  end

  defp etf(nil), do: nil
  defp etf(bin), do: :erlang.binary_to_term(bin)

  @doc "Decodes one chunk term (layout 1 or 2) into a list of event maps."
  def decode_chunk(%{v: v, n: n} = c) when v in [1, 2] do
    dt = Varint.decode_signed(c.dt)
    du = Varint.decode_signed(c.du)
    kinds = :binary.bin_to_list(c.kind)
    pids = Varint.decode_unsigned(c.pid)
    peers = Varint.decode_unsigned(c.peer)
    mfas = Varint.decode_unsigned(c.mfa)
    terms = Varint.decode_unsigned(c.term)

    # Version 2: :peer and :term hold 0 or 1 + zigzag delta against the
    # previous value of the same (kind, pid) / kind; turn them back into v1's
    # 0 | 1 + index.
    {peers, terms} = if v == 2, do: undelta(kinds, pids, peers, terms), else: {peers, terms}

    for list <- [dt, du, kinds, pids, peers, mfas, terms], length(list) != n do
      raise "chunk column has #{length(list)} values, expected #{n}"
    end

    pid_t = List.to_tuple(c.pids)
    mfa_t = List.to_tuple(c.mfas)
    term_t = c.terms |> Enum.map(&:erlang.binary_to_term/1) |> List.to_tuple()

    ts = Enum.scan(dt, c.t0, &(&1 + &2))
    us = Enum.scan(du, c.u0, &(&1 + &2))

    [ts, us, kinds, pids, peers, mfas, terms]
    |> Enum.zip()
    |> Enum.map(fn {t, u, k, p, q, m, x} ->
      %{
        ts: t,
        u: u,
        kind: kind_name(k),
        pid: elem(pid_t, p),
        peer: if(q == 0, do: nil, else: elem(pid_t, q - 1)),
        mfa: if(m == 0, do: nil, else: elem(mfa_t, m - 1)),
        term: if(x == 0, do: :none, else: elem(term_t, x - 1))
      }
    end)
  end

  defp undelta(kinds, pids, peers, terms) do
    {rows, _} =
      [kinds, pids, peers, terms]
      |> Enum.zip()
      |> Enum.map_reduce(%{}, fn {k, p, q, x}, last ->
        {q, last} = undelta1(q, {:peer, k, p}, last)
        {x, last} = undelta1(x, {:term, k}, last)
        {{q, x}, last}
      end)

    Enum.unzip(rows)
  end

  defp undelta1(0, _key, last), do: {0, last}

  defp undelta1(z, key, last) do
    z = z - 1
    d = if (z &&& 1) == 0, do: z >>> 1, else: -(z >>> 1) - 1
    i = Map.get(last, key, 0) + d
    {i + 1, Map.put(last, key, i)}
  end

  @doc "The GenServer state after each callback of `pid`, derived from call/return events."
  def states(events, pid) do
    for %{pid: ^pid, kind: :return, mfa: {_, f, _}, term: ret} <- events,
        state = state_of(f, ret),
        state != :none,
        do: state
  end

  def state_of(:init, {:ok, s}), do: s
  def state_of(:init, {:ok, s, _}), do: s
  def state_of(f, {:reply, _, s}) when f in [:handle_call], do: s
  def state_of(f, {:reply, _, s, _}) when f in [:handle_call], do: s
  def state_of(_f, {:noreply, s}), do: s
  def state_of(_f, {:noreply, s, _}), do: s
  def state_of(_f, {:stop, _, _, s}), do: s
  def state_of(_f, {:stop, _, s}), do: s
  def state_of(_f, _), do: :none
end

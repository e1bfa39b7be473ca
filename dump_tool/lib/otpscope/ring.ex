defmodule Otpscope.Ring do
  @moduledoc false
  # Flight-recorder mode's memory (`mode: :ring`). The writer keeps the
  # encoded chunks here instead of appending them to a file: a queue of
  # deflated chunk entries, oldest first, evicted whole as they fall out of
  # the window (`keep: {s, :seconds}`: their last event is older than s;
  # `keep: {n, :events}`: the newer chunks hold n events without them) or
  # when the ring's bytes pass its bound (the chunks' deflated bytes and the
  # facts kept beside them; the oldest go first, counted apart).
  #
  # Chunks are whole units of the format, so a window cut at chunk
  # boundaries would hold up to a chunk (16384 events, 500 ms) too much. At
  # dump time, window/2 cuts the chunks that straddle the window's start:
  # it decodes them, keeps the events inside the window, and encodes them
  # again with their own tables (only what the kept events refer to: a
  # message sent before the window is not in the archive) and their own
  # delta state. Only the few straddling chunks are decoded, at dump time.
  #
  # Every event that leaves the ring is counted (`evicted`), and so are the
  # drops it carried (`evicted_dropped`), so an archive written from the
  # ring says how much came before its window.

  import Bitwise
  alias Otpscope.{Chunk, Truncate, Varint}

  defstruct [
    :keep,
    :max_bytes,
    chunks: :queue.new(),
    count: 0,
    events: 0,
    bytes: 0,
    evicted: 0,
    evicted_dropped: 0,
    evicted_by_memory: 0,
    # bytes evicted since the writer last collected its garbage
    freed: 0,
    # triggers whose dumps are not written yet: ref => time (hold/3)
    holds: %{}
  ]

  @doc "An empty ring for `keep` (`{s, :seconds}` or `{n, :events}`), at most `max_bytes`."
  def new(keep, max_bytes), do: %__MODULE__{keep: keep, max_bytes: max_bytes}

  @doc """
  The entry kept for an encoded chunk (Otpscope.Encoder.encode/3): its
  deflated data and what the archive's totals and facts need. Exit reasons
  among the facts are cut to `limits` (the chunk's own terms already are).
  """
  def entry(chunk, limits) do
    facts =
      Enum.map(chunk.facts, fn
        {:exit, pid, reason} -> {:exit, pid, elem(Truncate.cut(reason, limits), 0)}
        fact -> fact
      end)

    {t0, t1} =
      if chunk.n == 0,
        do: drops_span(chunk.drops),
        else: {chunk.t0, chunk.t1}

    e = %{
      data: chunk.data,
      crc: chunk.crc,
      usize: chunk.usize,
      n: chunk.n,
      cuts: chunk.cuts,
      drops: chunk.drops,
      facts: facts,
      pids: chunk.pids,
      t0: t0,
      t1: t1
    }

    Map.put(e, :bytes, weight(e))
  end

  defp weight(e),
    do:
      byte_size(e.data) +
        :erts_debug.flat_size({e.facts, e.pids, e.drops}) * :erlang.system_info(:wordsize)

  defp drops_span([]), do: {0, 0}

  defp drops_span(drops) do
    {Enum.min(Enum.map(drops, &elem(&1, 0))), Enum.max(Enum.map(drops, &elem(&1, 1)))}
  end

  @doc """
  The time to judge the window by when `e` is pushed: the latest event
  time seen, its own last event's when it has events (monotonic ns).
  """
  def newest(r, e) do
    case :queue.peek_r(r.chunks) do
      {:value, last} when e.n == 0 -> last.t1
      {:value, last} -> max(last.t1, e.t1)
      :empty -> if e.n > 0, do: e.t1, else: :erlang.monotonic_time(:nanosecond)
    end
  end

  @doc """
  Where the window of a dump asked for at `now` ends: `now`, or the newest
  event in the ring when that is later. Chunks were evicted by their
  events' times (newest/2), and the tracer hands over the trace messages
  already in its mailbox before the request, some made after `now`: under
  load, tens of ms of them. A window ending at `now` would then start
  before chunks already evicted by those later times, and miss events
  inside it.
  """
  def window_end(r, now) do
    :queue.fold(fn e, acc -> if e.n > 0, do: max(e.t1, acc), else: acc end, now, r.chunks)
  end

  @doc "Adds an entry (newest) and evicts what fell out of the window at `now` (monotonic ns)."
  def push(r, e, now) do
    evict(
      %{
        r
        | chunks: :queue.in(e, r.chunks),
          count: r.count + 1,
          events: r.events + e.n,
          bytes: r.bytes + e.bytes
      },
      now
    )
  end

  @doc "Evicts the oldest entries while they are out of the window or over the byte bound."
  def evict(r, now) do
    case :queue.peek(r.chunks) do
      {:value, e} ->
        cond do
          r.bytes > r.max_bytes and r.count > 1 -> r |> drop_head(e, true) |> evict(now)
          out?(r, e, now) -> r |> drop_head(e, false) |> evict(now)
          true -> r
        end

      :empty ->
        r
    end
  end

  defp out?(%{keep: {s, :seconds}}, e, now), do: e.t1 < now - s * 1_000_000_000

  defp out?(%{keep: {k, :events}, holds: holds} = r, e, _now) when map_size(holds) > 0 do
    h = holds |> Map.values() |> Enum.min()
    before = :queue.fold(fn x, acc -> if x.t0 <= h, do: acc + x.n, else: acc end, 0, r.chunks)
    # nothing after the trigger leaves before the dump
    e.t0 <= h and before - e.n >= k
  end

  defp out?(%{keep: {k, :events}} = r, e, _now),
    do: r.events - e.n >= k and (e.n > 0 or r.count > 1)

  @doc """
  A trigger at `time` (monotonic ns) whose dump is on its way: with
  `{n, :events}` the entries holding the n events up to that time, and
  every later one, stay until `release/2` (the dump's window, window/3,
  needs them). The byte bound still evicts.
  """
  def hold(r, ref, time), do: %{r | holds: Map.put(r.holds, ref, time)}

  @doc "The dump of `ref` is written: its hold ends."
  def release(r, ref), do: %{r | holds: Map.delete(r.holds, ref)}

  defp drop_head(r, e, memory?) do
    %{
      r
      | chunks: :queue.drop(r.chunks),
        count: r.count - 1,
        events: r.events - e.n,
        bytes: r.bytes - e.bytes,
        freed: r.freed + e.bytes,
        evicted: r.evicted + e.n,
        evicted_dropped: r.evicted_dropped + dropped(e.drops),
        evicted_by_memory: r.evicted_by_memory + if(memory?, do: e.n, else: 0)
    }
  end

  @doc """
  Evicted chunks are off-heap binaries that stay allocated until the
  process holding the ring collects its garbage, which the binaries alone
  trigger late (measured: a writer with a 2 MB ring held 17 MB of them),
  and the ring keeps its entries long enough for them to reach the old
  heap, which only a full collection frees. So it collects whenever an
  eviction freed something: the ring's own heap is small (the chunk data
  is off-heap), so this costs little next to encoding the chunk that
  pushed them out, and evicted chunks are never held at all.
  """
  def collect(%{freed: freed} = r) when freed > 0 do
    :erlang.garbage_collect()
    %{r | freed: 0}
  end

  def collect(r), do: r

  defp dropped(drops), do: Enum.reduce(drops, 0, fn {_, _, c, _}, acc -> acc + c end)

  @doc """
  The window at `now`: `{entries, from_ns, evicted, evicted_dropped}`, the
  entries oldest first with the ones that straddle the window's start cut
  to it (a cut entry has `etf:`, the chunk term to deflate again, instead
  of `data:`), `from_ns` the window's start (monotonic ns), and the events
  and drops before it: evicted earlier or cut now.
  """
  #
  # `anchor`: a trigger, `{pid, time}` (the pid whose crash triggered the
  # dump, or nil; the time the trigger was taken, monotonic ns), or nil.
  # With `{n, :events}` the window is then the n events up to the trigger
  # (the crash's own exit event when the ring holds it, else the time) and
  # every event after it, so what happened between the crash and the dump
  # (a supervisor's restart, the crash's reports, a busy node's traffic)
  # never pushes the crash out of its own dump; without one
  # (Otpscope.dump/0, the stop) it is exactly the n newest events.
  def window(r, now, anchor \\ nil) do
    entries = :queue.to_list(r.chunks)
    anchor = anchor_time(entries, anchor)

    {kept, cut, cut_dropped} =
      case r.keep do
        {s, :seconds} ->
          from = now - s * 1_000_000_000
          cut_each(entries, fn _i, t -> t >= from end, fn e -> e.t0 < from end)

        {k, :events} ->
          later = if anchor, do: events_after(entries, anchor), else: 0
          skip_events(entries, max(r.events - later - k, 0), [], 0, 0)
      end

    from =
      case {r.keep, kept} do
        {{s, :seconds}, _} -> now - s * 1_000_000_000
        {_, [first | _]} -> first.t0
        {_, []} -> now
      end

    {kept, from, r.evicted + cut, r.evicted_dropped + cut_dropped}
  end

  # The events newer than `anchor`: whole entries by their times, the one
  # that straddles it decoded.
  defp events_after(entries, anchor) do
    Enum.reduce(entries, 0, fn
      %{n: 0}, acc -> acc
      e, acc when e.t0 > anchor -> acc + e.n
      e, acc when e.t1 <= anchor -> acc
      e, acc -> acc + Enum.count(timestamps(e), &(&1 > anchor))
    end)
  end

  defp timestamps(e), do: e |> decode() |> chunk_timestamps()

  defp chunk_timestamps(c), do: Enum.scan(Varint.decode_signed(c.dt), c.t0, &(&1 + &2))

  # a ring entry (not yet cut: its deflated chunk)
  defp decode(e), do: :erlang.binary_to_term(:zlib.unzip(e.data))

  # A trigger's time: the exit event of the process whose crash it was (the
  # newest entry whose facts hold that exit), else the time it was taken.
  defp anchor_time(_entries, nil), do: nil

  defp anchor_time(entries, {pid, time}) do
    found =
      pid &&
        entries
        |> Enum.reverse()
        |> Enum.find(fn e -> Enum.any?(e.facts, &match?({:exit, ^pid, _}, &1)) end)

    if found, do: exit_time(decode(found), pid) || time, else: time
  end

  # kind 1: exit (docs/FORMAT.md)
  defp exit_time(c, pid) do
    pids = List.to_tuple(c.pids)

    [chunk_timestamps(c), :binary.bin_to_list(c.kind), Varint.decode_unsigned(c.pid)]
    |> Enum.zip()
    |> Enum.reduce(nil, fn
      {t, 1, p}, acc -> if elem(pids, p) == pid, do: t, else: acc
      _, acc -> acc
    end)
  end

  # Seconds: every entry that starts before the window is cut to it.
  defp cut_each(entries, keep?, straddles?) do
    Enum.reduce(entries, {[], 0, 0}, fn e, {acc, cut, dropped} ->
      if straddles?.(e) do
        {e2, c, d} = cut_entry(e, keep?)
        {if(e2, do: [e2 | acc], else: acc), cut + c, dropped + d}
      else
        {[e | acc], cut, dropped}
      end
    end)
    |> then(fn {acc, cut, dropped} -> {Enum.reverse(acc), cut, dropped} end)
  end

  # Events: the oldest `excess` events go, whole entries first.
  defp skip_events(entries, 0, [], cut, dropped), do: {entries, cut, dropped}

  defp skip_events([e | rest], excess, [], cut, dropped) when e.n <= excess and rest != [] do
    skip_events(rest, excess - e.n, [], cut + e.n, dropped + dropped(e.drops))
  end

  defp skip_events([e | rest], excess, [], cut, dropped) do
    {e2, c, d} = cut_entry(e, fn i, _t -> i >= excess end)
    {if(e2, do: [e2 | rest], else: rest), cut + c, dropped + d}
  end

  # Decodes one entry's chunk, keeps the events `keep?.(index, ts)` accepts
  # and the drops that end at or after the first of them, and encodes the
  # rest again. `{entry | nil, events_cut, dropped_cut}`.
  defp cut_entry(e, keep?) do
    chunk = :erlang.binary_to_term(:zlib.unzip(e.data))

    case select(chunk, keep?) do
      nil ->
        {nil, e.n, dropped(e.drops)}

      c ->
        {kept_drops, gone} = Enum.split_with(c.drops, fn {_, to, _, _} -> to >= c.t0 end)
        c = %{c | drops: kept_drops}
        etf = :erlang.term_to_binary(c)

        e2 = %{
          e
          | n: c.n,
            drops: kept_drops,
            # (names taken: facts of calls the chunk holds no event of)
            facts: facts(c) ++ for(f <- e.facts, elem(f, 0) in [:naming, :named], do: f),
            pids: c.pids,
            t0: c.t0,
            data: nil
        }

        {Map.put(e2, :etf, etf), e.n - c.n, dropped(gone)}
    end
  end

  @doc """
  The chunk term (layout 2) with only the events `keep?.(index, ts)`
  accepts, or nil when none is kept. Tables hold only what the kept events
  refer to; the delta columns start again from the first kept event.
  """
  def select(%{v: 2} = c, keep?) do
    ts = Enum.scan(Varint.decode_signed(c.dt), c.t0, &(&1 + &2))
    us = Enum.scan(Varint.decode_signed(c.du), c.u0, &(&1 + &2))
    kinds = :binary.bin_to_list(c.kind)
    pids = Varint.decode_unsigned(c.pid)
    mfas = Varint.decode_unsigned(c.mfa)

    {peers, terms} =
      absolute(kinds, pids, Varint.decode_unsigned(c.peer), Varint.decode_unsigned(c.term))

    rows =
      [ts, us, kinds, pids, peers, mfas, terms]
      |> Enum.zip()
      |> Enum.with_index()
      |> Enum.filter(fn {{t, _, _, _, _, _, _}, i} -> keep?.(i, t) end)
      |> Enum.map(&elem(&1, 0))

    if rows == [], do: nil, else: encode_rows(c, rows)
  end

  # Layout 2's :peer and :term deltas back to absolute indices (nil: none).
  defp absolute(kinds, pids, peers, terms) do
    {rows, _} =
      [kinds, pids, peers, terms]
      |> Enum.zip()
      |> Enum.map_reduce(%{}, fn {k, p, q, x}, last ->
        {q, last} = undelta(q, {:peer, k, p}, last)
        {x, last} = undelta(x, {:term, k}, last)
        {{q, x}, last}
      end)

    Enum.unzip(rows)
  end

  defp undelta(0, _key, last), do: {nil, last}

  defp undelta(z, key, last) do
    i = Map.get(last, key, 0) + unzigzag(z - 1)
    {i, Map.put(last, key, i)}
  end

  defp unzigzag(z) when (z &&& 1) == 0, do: z >>> 1
  defp unzigzag(z), do: -(z >>> 1) - 1

  defp zigzag(x) when x >= 0, do: x <<< 1
  defp zigzag(x), do: -x * 2 - 1

  defp encode_rows(c, rows) do
    pid_map = renumber(Enum.flat_map(rows, fn {_, _, _, p, q, _, _} -> [p | List.wrap(q)] end))
    mfa_map = renumber(for {_, _, _, _, _, m, _} <- rows, m > 0, do: m - 1)
    term_map = renumber(for {_, _, _, _, _, _, x} <- rows, x != nil, do: x)
    [{t0, u0, _, _, _, _, _} | _] = rows

    {cols, _} =
      Enum.reduce(rows, {{<<>>, <<>>, <<>>, <<>>, <<>>, <<>>, <<>>}, {t0, u0, %{}}}, fn
        {t, u, k, p, q, m, x}, {{dt, du, kb, pb, qb, mb, xb}, {pt, pu, last}} ->
          p2 = Map.fetch!(pid_map, p)
          {qv, last} = delta(q && Map.fetch!(pid_map, q), {:peer, k, p2}, last)
          {xv, last} = delta(x && Map.fetch!(term_map, x), {:term, k}, last)
          mv = if m == 0, do: 0, else: Map.fetch!(mfa_map, m - 1) + 1

          {{Varint.put_signed(dt, t - pt), Varint.put_signed(du, u - pu), <<kb::binary, k>>,
            Varint.put_unsigned(pb, p2), Varint.put_unsigned(qb, qv), Varint.put_unsigned(mb, mv),
            Varint.put_unsigned(xb, xv)}, {t, u, last}}
      end)

    {dt, du, kind, pid, peer, mfa, term} = cols

    %{
      c
      | n: length(rows),
        t0: t0,
        u0: u0,
        dt: dt,
        du: du,
        kind: kind,
        pid: pid,
        peer: peer,
        mfa: mfa,
        term: term,
        pids: table(c.pids, pid_map),
        mfas: table(c.mfas, mfa_map),
        terms: table(c.terms, term_map)
    }
  end

  defp delta(nil, _key, last), do: {0, last}

  defp delta(i, key, last) do
    {zigzag(i - Map.get(last, key, 0)) + 1, Map.put(last, key, i)}
  end

  # old index -> new index, in the old order
  defp renumber(indices) do
    indices |> Enum.uniq() |> Enum.sort() |> Enum.with_index() |> Map.new()
  end

  defp table(list, map) do
    tuple = List.to_tuple(list)
    map |> Enum.sort_by(&elem(&1, 1)) |> Enum.map(fn {old, _new} -> elem(tuple, old) end)
  end

  # What the writer's facts need from a cut chunk: spawns (and the names
  # they start processes under), exits, registers,
  # the functions of Task.async processes (Otpscope.Chunk.encode/4).
  defp facts(c) do
    pids = List.to_tuple(c.pids)
    mfas = List.to_tuple(c.mfas)
    terms = List.to_tuple(c.terms)
    kinds = :binary.bin_to_list(c.kind)
    peers = Varint.decode_unsigned(c.peer)
    ps = Varint.decode_unsigned(c.pid)
    ms = Varint.decode_unsigned(c.mfa)
    {qs, xs} = absolute(kinds, ps, peers, Varint.decode_unsigned(c.term))

    Enum.zip([kinds, ps, qs, ms, xs])
    |> Enum.reduce([], fn
      {0, p, q, m, x}, acc ->
        args = :erlang.binary_to_term(elem(terms, x))
        Chunk.spawn_facts(elem(pids, q), elem(pids, p), elem(mfas, m - 1), args, acc)

      {1, p, _q, _m, x}, acc ->
        [{:exit, elem(pids, p), :erlang.binary_to_term(elem(terms, x))} | acc]

      {4, p, _q, _m, x}, acc ->
        [{:register, elem(pids, p), :erlang.binary_to_term(elem(terms, x))} | acc]

      {8, p, _q, _m, x}, acc ->
        Chunk.task_fact(elem(pids, p), :erlang.binary_to_term(elem(terms, x)), acc)

      _, acc ->
        acc
    end)
    |> :lists.reverse()
  end
end

defmodule Otpscope.Tracer do
  @moduledoc false
  # The process that receives trace messages. It does as little as possible
  # per message (the recon_trace lesson): check the rate window, prepend to a
  # list, and every `chunk_events` messages (or every flush interval) hand the
  # list to the writer, which does all the encoding, compression and I/O.
  #
  # Memory stays bounded whatever the event rate:
  #   * the buffer holds at most `chunk_events` messages;
  #   * at most `max_in_flight` buffers wait at the writer; a full buffer with
  #     no free slot is dropped and counted (`:buffer`);
  #   * over `max_rate` events/s, events are dropped and counted (`:rate`);
  #   * every 256 messages the tracer looks at its own mailbox; over
  #     `high_water` it discards messages unread but counted (`:overload`) until
  #     under `low_water`; if the mailbox still grows past `suspend_water` it
  #     switches the process trace flags off until it has caught up, and
  #     records the gap as an `:overload` drop with count 0 (events that were
  #     never generated cannot be counted).
  # The message queue is off-heap so a burst does not inflate the heap that
  # the garbage collector scans.

  alias Otpscope.Trace

  @check_every 256

  def start(opts) do
    :proc_lib.spawn_opt(__MODULE__, :init, [opts], [
      {:message_queue_data, :off_heap},
      {:priority, :high},
      {:fullsweep_after, 0}
    ])
  end

  def init(opts) do
    Process.flag(:trap_exit, false)
    native = :erlang.convert_time_unit(1, :second, :native)
    :erlang.send_after(opts.flush_interval, self(), :flush)

    s = %{
      writer: opts.writer,
      controller: opts.controller,
      chunk_events: opts.chunk_events,
      max_in_flight: opts.max_in_flight,
      in_flight: 0,
      max_rate: opts.max_rate,
      win_len: native,
      win_start: nil,
      win_count: 0,
      max_events: opts.max_events,
      accepted: 0,
      limit_sent: false,
      flush_interval: opts.flush_interval,
      high_water: opts.high_water,
      low_water: opts.low_water,
      suspend_water: opts.suspend_water,
      shedding: false,
      suspended: nil,
      trace: nil,
      seen: 0,
      drop: nil,
      drops: [],
      dropped: 0,
      peak_queue: 0,
      watch_spawns: opts.watch_spawns,
      known_modules: opts.known_modules
    }

    loop([], 0, s)
  end

  defp loop(buf, n, s) do
    receive do
      msg when elem(msg, 0) == :trace_ts ->
        s = if s.watch_spawns, do: watch(msg, s), else: s
        {buf, n, s} = admit(msg, buf, n, s)
        loop(buf, n, s)

      other ->
        control(other, buf, n, s)
    end
  end

  # A gen_server/gen_statem started after the recording began whose module we
  # do not trace yet: ask the controller to trace its callbacks. Its init/1 may
  # already have run by then (documented limit).
  defp watch({:trace_ts, _, tag, _, {:proc_lib, :init_p, [_, _, :gen, :init_it, args]}, _}, s)
       when tag in [:spawn, :spawned] do
    mod =
      case args do
        [_gen, _starter, _parent, _name, mod, _args, _opts] -> mod
        [_gen, _starter, _parent, mod, _args, _opts] -> mod
        _ -> nil
      end

    if is_atom(mod) and mod != nil and not MapSet.member?(s.known_modules, mod) do
      send(s.controller, {:otpscope_new_module, mod})
      %{s | known_modules: MapSet.put(s.known_modules, mod)}
    else
      s
    end
  end

  defp watch(_msg, s), do: s

  # Decides the fate of one trace message: buffered, or dropped and counted.
  defp admit(msg, buf, n, %{seen: seen} = s) do
    s = %{s | seen: seen + 1}
    s = if rem(seen, @check_every) == 0, do: check_mailbox(s, msg), else: s

    if s.shedding do
      {buf, n, drop(s, :overload, ts(msg))}
    else
      t = ts(msg)

      s =
        if s.win_start == nil or t - s.win_start >= s.win_len,
          do: %{s | win_start: t, win_count: 0},
          else: s

      cond do
        s.win_count >= s.max_rate ->
          {buf, n, drop(s, :rate, t)}

        s.accepted >= s.max_events ->
          # Past the end of the recording: the controller is stopping it.
          {buf, n, s}

        n >= s.chunk_events and s.in_flight >= s.max_in_flight ->
          {buf, n, drop(s, :buffer, t)}

        n >= s.chunk_events ->
          accepted(msg, [], 0, handoff(buf, s))

        true ->
          accepted(msg, buf, n, s)
      end
    end
  end

  defp accepted(msg, buf, n, s) do
    s = %{s | accepted: s.accepted + 1, win_count: s.win_count + 1}

    s =
      if s.accepted == s.max_events and not s.limit_sent do
        send(s.controller, {:otpscope_limit, :max_events})
        %{s | limit_sent: true}
      else
        s
      end

    {[msg | buf], n + 1, s}
  end

  defp ts(msg) do
    {t, _u} = :erlang.element(tuple_size(msg), msg)
    t
  end

  defp drop(%{drop: {reason, from, _to, count}} = s, reason, t),
    do: %{s | drop: {reason, from, t, count + 1}, dropped: s.dropped + 1}

  defp drop(%{drop: nil} = s, reason, t),
    do: %{s | drop: {reason, t, t, 1}, dropped: s.dropped + 1}

  defp drop(%{drop: run} = s, reason, t),
    do: %{s | drop: {reason, t, t, 1}, drops: [run | s.drops], dropped: s.dropped + 1}

  # Runs are kept as {reason, from, to, count}; chunks want {from, to, count, reason}.
  defp take_drops(%{drop: nil, drops: drops} = s), do: {export(drops), %{s | drops: []}}

  defp take_drops(%{drop: run, drops: drops} = s),
    do: {export([run | drops]), %{s | drop: nil, drops: []}}

  defp export(runs),
    do: Enum.reduce(runs, [], fn {r, from, to, c}, acc -> [{from, to, c, r} | acc] end)

  defp handoff(buf, s) do
    {drops, s} = take_drops(s)
    send(s.writer, {:otpscope_chunk, self(), buf, drops})
    %{s | in_flight: s.in_flight + 1}
  end

  defp check_mailbox(s, msg) do
    {:message_queue_len, len} = Process.info(self(), :message_queue_len)
    s = %{s | peak_queue: max(s.peak_queue, len)}

    cond do
      s.shedding and len <= s.low_water ->
        resume(%{s | shedding: false}, ts(msg))

      s.shedding and len > s.suspend_water and s.suspended == nil and s.trace != nil ->
        Trace.suspend(s.trace)
        %{s | suspended: ts(msg)}

      not s.shedding and len > s.high_water ->
        %{s | shedding: true}

      true ->
        s
    end
  end

  defp resume(%{suspended: nil} = s, _t), do: s

  defp resume(s, _t) do
    Trace.resume(s.trace)
    now = :erlang.monotonic_time()
    gap = {:overload, s.suspended, now, 0}
    s = if s.drop, do: %{s | drops: [s.drop | s.drops], drop: nil}, else: s
    %{s | suspended: nil, drops: [gap | s.drops]}
  end

  defp control({:otpscope_written, _n}, buf, n, s) do
    s = %{s | in_flight: s.in_flight - 1}
    # A full buffer was waiting for a free slot: hand it over now.
    if n >= s.chunk_events, do: loop([], 0, handoff(buf, s)), else: loop(buf, n, s)
  end

  defp control(:flush, buf, n, s) do
    :erlang.send_after(s.flush_interval, self(), :flush)

    if (n > 0 or s.drop != nil or s.drops != []) and s.in_flight < s.max_in_flight,
      do: loop([], 0, handoff(buf, s)),
      else: loop(buf, n, s)
  end

  defp control({:otpscope_trace, trace}, buf, n, s), do: loop(buf, n, %{s | trace: trace})

  defp control({:otpscope_stop, from, stop_info}, buf, n, s) do
    # Everything traced before the stop is already in our mailbox
    # (the controller waited for erlang:trace_delivered/1): drain it. The
    # recording ends, so the writer may take the few buffers this makes.
    drain(buf, n, %{s | max_in_flight: :infinity}, from, stop_info)
  end

  defp control({:otpscope_stats, from}, buf, n, s) do
    send(from, {:otpscope_stats, stats(s)})
    loop(buf, n, s)
  end

  defp control(_other, buf, n, s), do: loop(buf, n, s)

  defp drain(buf, n, s, from, stop_info) do
    receive do
      msg when elem(msg, 0) == :trace_ts ->
        {buf, n, s} = admit(msg, buf, n, s)
        drain(buf, n, s, from, stop_info)
    after
      0 ->
        s = if s.suspended, do: resume(s, nil), else: s
        {drops, _s} = take_drops(s)
        send(s.writer, {:otpscope_chunk, self(), buf, drops})
        send(s.writer, {:otpscope_finish, from, Map.put(stop_info, :tracer, stats(s))})
        :ok
    end
  end

  defp stats(s) do
    %{accepted: s.accepted, dropped: s.dropped, peak_queue: s.peak_queue}
  end
end

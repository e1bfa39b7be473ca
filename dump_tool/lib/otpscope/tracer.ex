defmodule Otpscope.Tracer do
  @moduledoc false
  # The process that receives trace messages. It does as little as possible
  # per message (the recon_trace lesson): check the rate window, prepend to a
  # list, and every `chunk_events` messages (or every flush interval) hand the
  # list to one of the writer's encoders, which do all the encoding and
  # compression; the writer appends the chunks in order.
  #
  # Big messages (a GenServer state of a few hundred entries in a callback's
  # arguments) are cut to the term limits here, as they arrive: the cut term
  # is built on the tracer's heap and the original, still in the message's
  # heap fragment, becomes garbage before any GC or handoff copies it. On the
  # mixed benchmark workload (15 KB per trace message on average) this
  # replaced two copies of every state (GC, then handoff) by one of its cut.
  # The size test is :erts_debug.flat_size/1 (~20 ns on a ping-pong
  # message), which also gives the buffer's exact size in words.
  #
  # Memory stays bounded whatever the event rate:
  #   * the buffer holds at most `chunk_events` messages, and at most an
  #     eighth of `max_buffer_memory`;
  #   * at most `max_in_flight` buffers, of at most `max_buffer_memory` bytes
  #     in all, are being encoded or wait for the writer; while there is no
  #     room, new events are dropped and counted (`:buffer`);
  #   * over `max_rate` events/s, events are dropped and counted (`:rate`);
  #   * every 256 messages the tracer looks at its own mailbox; over
  #     `high_water` it discards messages unread but counted (`:overload`) until
  #     under `low_water`; if the mailbox still grows past `suspend_water` it
  #     has the process trace flags switched off until it has caught up
  #     (by Otpscope.Switcher: it keeps shedding meanwhile), and records the
  #     gap as an `:overload` drop with count 0 (events that were never
  #     generated cannot be counted);
  #   * the water marks count messages, but a mailbox of big messages (a
  #     15 KB GenServer state each) holds 300 MB at 20 000 of them. So at each
  #     mailbox check the tracer also measures the message in hand (flat
  #     size, unmeasured in the drop paths otherwise) into a running average
  #     of words per message, and scales the three marks down together so
  #     that `high_water` messages of that average hold at most
  #     `max_mailbox_memory` bytes (default `max_buffer_memory`). Every
  #     message cut on arrival is measured too, and the mailbox looked at
  #     right after it. The cost is one flat_size and one state update per
  #     256 messages (64 while shedding), and a fraction of a cut's; none on
  #     the common path.
  # The message queue is off-heap so a burst does not inflate the heap that
  # the garbage collector scans.

  alias Otpscope.{Chunk, Trace}

  @check_every 256
  # messages bigger than this (words) are cut on arrival
  @big_words 1_024
  # while shedding the mailbox is what matters: look more often
  @shed_check_every 64
  # dropped messages worth a minor collection (words: 512 KB)
  @collect_words 65_536

  def start(opts) do
    # Load what the tracer calls now: in interactive mode (mix, iex, the
    # escript's attach) the first big message would otherwise make the
    # tracer wait for the code server, which competes with the traced
    # processes for the CPU. Measured on a flood of 16 KB messages: ~200 ms
    # during which 6 000-8 000 trace messages (100-130 MB) queued unseen.
    for mod <- [Chunk, Otpscope.Truncate, Trace, Otpscope.Callbacks, Otpscope.Facts, :erts_debug],
        do: {:module, ^mod} = Code.ensure_loaded(mod)

    :proc_lib.spawn_opt(__MODULE__, :init, [opts], [
      {:message_queue_data, :off_heap},
      {:priority, :high},
      {:min_heap_size, 32_768}
    ])
  end

  @doc "Words one buffer may hold before it is handed over: an eighth of `max_buffer_memory`."
  def buffer_words(max_buffer_memory),
    do: max(div(max_buffer_memory, 8 * :erlang.system_info(:wordsize)), 1)

  @doc """
  Words of a state too big to trace in callback messages: a sixteenth of
  `max_mailbox_memory` (at least 512 KB). See huge/3.
  """
  def huge_words(max_mailbox_memory),
    do: max(div(max_mailbox_memory, 16 * :erlang.system_info(:wordsize)), @collect_words)

  def init(opts) do
    Process.flag(:trap_exit, false)
    :erlang.send_after(opts.flush_interval, self(), :flush)

    s = %{
      writer: opts.writer,
      encoders: List.to_tuple(opts.encoders),
      handed: 0,
      controller: opts.controller,
      # tags of the traced processes' calls to the controller (the Otpscope
      # API: info/0, stop/0, ...), whose replies are not recorded either
      api_tags: %{},
      # the recorder's own processes (the trace's exclusions), as keys
      own: %{},
      chunk_events: opts.chunk_events,
      max_in_flight: opts.max_in_flight,
      in_flight: 0,
      # words of the buffers handed over and not yet written, and by buffer
      max_words: div(opts.max_buffer_memory, :erlang.system_info(:wordsize)),
      chunk_words:
        Map.get_lazy(opts, :chunk_words, fn -> buffer_words(opts.max_buffer_memory) end),
      limits: opts.limits,
      in_flight_words: 0,
      sizes: %{},
      max_rate: opts.max_rate,
      # trace timestamps are in nanoseconds
      win_len: 1_000_000_000,
      win_end: :erlang.monotonic_time(:nanosecond),
      win_base: 0,
      timeout: :infinity,
      stopping: nil,
      max_events: opts.max_events,
      accepted: 0,
      flush_interval: opts.flush_interval,
      # configured marks (messages), the mailbox budget (words) and the
      # running average of words per message, sampled at each mailbox check
      high_water: opts.high_water,
      low_water: opts.low_water,
      suspend_water: opts.suspend_water,
      mailbox_words:
        max(
          div(
            Map.get(opts, :max_mailbox_memory) || opts.max_buffer_memory,
            :erlang.system_info(:wordsize)
          ),
          1
        ),
      msg_words: 0,
      # Big messages first (see judge/1): the average over the messages not
      # cut on arrival, the modules whose callbacks sent messages that were
      # (GenServers with big states), and whether theirs are dropped now.
      small_words: 1,
      big_mods: %{},
      skip_big: false,
      # Huge states (see huge/3): a callback message over this many words
      # switches its process's call tracing off; the process that reads
      # such states instead (its system messages are not events of the
      # recording).
      huge_words: huge_words(Map.get(opts, :max_mailbox_memory) || opts.max_buffer_memory),
      state_reader: nil,
      # effective marks: the configured ones, scaled down for big messages
      high: opts.high_water,
      low: opts.low_water,
      suspend: opts.suspend_water,
      shedding: false,
      # messages between two looks at the mailbox in the drop loops (fewer
      # for big messages, see marks/1)
      check_every: @check_every,
      shed_every: @shed_check_every,
      suspended: nil,
      # the process that switches flags off and on (Otpscope.Switcher), and
      # when tracing went off for each switch-on it has not confirmed yet
      # (oldest first)
      switcher: Map.get(opts, :switcher),
      resuming: [],
      # pid => looks at the mailbox while shedding that found a message of
      # that process in hand, since tracing was last switched off
      hot: %{},
      # pid => {window start ns, words of big callback messages since}: huge/3
      copied: %{},
      trace: nil,
      seen: 0,
      drop: nil,
      drops: [],
      dropped: 0,
      peak_queue: 0,
      watch_spawns: opts.watch_spawns,
      known_modules: opts.known_modules,
      # module => the functions whose calls are recorded (calls/1), :all;
      # a module loaded while recorded is added at its first call
      calls: Map.get(opts, :calls, %{}),
      late_callbacks: Map.get(opts, :late_callbacks, false),
      # dump_on: [exit_of: Module]: processes of these modules started later
      exit_modules: Map.get(opts, :exit_modules, MapSet.new()),
      # sample: pids whose hash is below this are recorded (nil: all)
      sample: Map.get(opts, :sample)
    }

    # The recorder's own events read before tracing began (state snapshots)
    # are the first buffer.
    initial = Map.get(opts, :initial, [])
    loop(Enum.reverse(initial), length(initial), :erts_debug.flat_size(initial), s)
  end

  # The hot loops. `buf` holds `n` messages of `w` words in all. `timeout`
  # is :infinity while recording and 0 once the controller asked to stop: the
  # tracer then drains its mailbox (everything traced before the stop is
  # already there) and finishes when it is empty.
  defp loop(buf, n, w, s) do
    receive do
      msg when elem(msg, 0) == :trace_ts ->
        s = if s.watch_spawns, do: watch(msg, s), else: s
        s = learn(msg, s)

        cond do
          unwanted?(msg, s.calls) -> loop(buf, n, w, s)
          s.sample != nil and not sampled?(msg, s) -> loop(buf, n, w, s)
          s.state_reader != nil and reading?(msg, s.state_reader) -> loop(buf, n, w, s)
          api?(msg, s) -> loop(buf, n, w, api(msg, s))
          s.skip_big and big?(msg, s.big_mods) -> skip_big(msg, buf, n, w, s)
          true -> admit(msg, buf, n, w, s)
        end

      other ->
        control(other, buf, n, w, s)
    after
      s.timeout -> finish(buf, s)
    end
  end

  # Decides the fate of one trace message: buffered, or dropped and counted.
  #
  # The common path (accepted) updates no field of the state map: copying
  # the ~30-field map twice per message was a good part of the tracer's cost
  # at 400k events/s. Counters are derived instead: events accepted so far
  # are `s.accepted` (in handed-over buffers) + `n` (in this one), events in
  # the rate window are that minus `s.win_base`, and messages seen since
  # the last handoff are `n` + `s.seen` (dropped ones), which paces the
  # mailbox checks (about every @check_every messages).
  defp admit(msg, buf, n, w, s) do
    if rem(n + s.seen, @check_every) == 0,
      do: check(msg, buf, n, w, measure(msg, s)),
      else: admit_checked(msg, buf, n, w, s)
  end

  defp check(msg, buf, n, w, s) do
    case judge(s) do
      {:shed, s} ->
        t = ts(msg)
        shed(buf, n, w, %{s | shedding: true}, t, t, 1, 1)

      {:skip_big, s} ->
        if big?(msg, s.big_mods),
          do: skip_big(msg, buf, n, w, s),
          else: admit_checked(msg, buf, n, w, s)

      {:ok, s} ->
        admit_checked(msg, buf, n, w, s)
    end
  end

  # Shedding big messages before small ones. A GenServer whose state is
  # big (16 MB: a 1M-element list) sends two trace messages of that size
  # per callback (its arguments and its return value): the byte-scaled
  # marks then let the mailbox hold a handful of messages, and shedding
  # everything dropped the small sends and receives around them too (810 of
  # 828 events). So once modules are known to send big callback messages
  # (cut on arrival), a mailbox over the marks of the average message but
  # under those of the average small message only drops their callback
  # messages (unmeasured, counted as `:overload`, collected at once) and
  # records the rest; over both, everything is shed as before.
  defp judge(s) do
    {:message_queue_len, len} = Process.info(self(), :message_queue_len)

    cond do
      len <= s.high ->
        {:ok, %{s | skip_big: false}}

      map_size(s.big_mods) > 0 and len <= elem(marks(s, s.small_words), 0) ->
        {:skip_big, %{s | skip_big: true}}

      true ->
        {:shed, s}
    end
  end

  # One message into the running averages; a big callback message also
  # makes its module a big one (it may never be accepted: while shedding,
  # the checks are the only messages measured).
  defp measure(msg, s) do
    case :erts_debug.flat_size(msg) do
      size when size > @big_words -> sample(size, big_module(msg, huge(msg, size, s)))
      size -> sample(size, s)
    end
  end

  # Huge GenServer states are cut at the source. The runtime copies a
  # callback's arguments and return value (its state, before and after)
  # into the trace message before the tracer sees it: with a 16 MB state,
  # 25-30 such messages queued held ~480 MB whatever the tracer then did.
  # So the first callback message over `huge_words` (a sixteenth of
  # `max_mailbox_memory`) from a process has the controller switch that
  # process's call tracing off (not here: that waits for the process's
  # locks, and the tracer must keep shedding meanwhile) and read its state
  # at intervals instead, cut inside the process
  # (Otpscope.Snapshots.reader/3), so no whole state is copied again. What
  # is generated until then is shed as any big message (its module is a
  # big one now). Per process, not per module: the module's processes
  # with small states stay traced.
  #
  # The same holds for a state that is big rather than huge but copied
  # often: a DynamicSupervisor with 6,000 children (~0.9 MB of state)
  # starting them one by one, copying each growing state twice per
  # start_child. So a
  # process whose big callback messages (over @big_words each) add up to
  # more than 16 x `huge_words` words (`max_mailbox_memory` bytes) within
  # one second goes the same way: its state is read at intervals from then
  # on (measured with the supervisor above and 18,000 calls to its
  # children: 49-55 s -> 6-9 s, 0.3-0.6 s untraced, at a load of ~15).
  # The big callback messages that the drop paths shed (skip_big/5, shed/8)
  # are counted here too: a tracer shedding them unmeasured never saw a
  # 100,000-key map state (~3 MB) copied 100 times a second, and the
  # process stayed call-traced (2,000 calls: 40 s recorded, 0.1 s not).
  defp huge(msg, size, s) do
    pid = elem(msg, 1)

    case callback_module(msg) do
      m when m != nil and s.trace != nil ->
        {rate, s} = copied(s, pid, size, ts(msg))

        if (size > s.huge_words or rate > 16 * s.huge_words) and
             MapSet.member?(s.known_modules, m) and
             not MapSet.member?(s.trace.no_call, pid) do
          per_second = if size > s.huge_words, do: nil, else: rate
          send(s.controller, {:otpscope_huge_state, pid, m, size, per_second})

          %{s | trace: Trace.keep_calls_off(s.trace, pid), copied: Map.delete(s.copied, pid)}
        else
          s
        end

      _ ->
        s
    end
  end

  # Words of big callback messages from `pid` in its current one-second
  # window, this one's `size` included.
  defp copied(s, pid, size, t) do
    case s.copied do
      %{^pid => {since, words}} when t - since < 1_000_000_000 ->
        {words + size, %{s | copied: %{s.copied | pid => {since, words + size}}}}

      copied when map_size(copied) < 1024 or is_map_key(copied, pid) ->
        {size, %{s | copied: Map.put(copied, pid, {t, size})}}

      copied ->
        # full: forget the windows that are over (bounded, and rare)
        current = :maps.filter(fn _, {since, _} -> t - since < 1_000_000_000 end, copied)
        {size, %{s | copied: Map.put(current, pid, {t, size})}}
    end
  end

  defp callback_module({:trace_ts, _, tag, {m, _, _}, _, _})
       when tag in [:return_from, :exception_from],
       do: m

  defp callback_module({:trace_ts, _, :call, {m, _, _}, _}), do: m
  defp callback_module(_msg), do: nil

  # The state reader's system message to a process and the process's reply
  # (sent to an alias of the reader on OTP 24+, so known by its shape:
  # Otpscope.Snapshots.read_cut/3).
  defp reading?({:trace_ts, _, :receive, {:system, {reader, _}, _}, _}, reader), do: true
  defp reading?({:trace_ts, _, :send, _, reader, _}, reader), do: true

  defp reading?(
         {:trace_ts, _, :send,
          {_, {:error, {:callback_failed, _, {:throw, {:otpscope_cut, _, _}}}}}, _, _},
         _reader
       ),
       do: true

  defp reading?(_msg, _reader), do: false

  # The recorder's own traffic with a recorded process, not the recorded
  # system's behaviour, so neither recorded nor counted: a call to the
  # controller through the Otpscope API (`Otpscope.record/2`'s stop/0 above
  # all, whose reply never comes back into the recording) and its reply;
  # and what the recorder's own (untraced) processes ask of recorded ones
  # while they work (the writer's and the controller's requests to the
  # file and code servers when every process is recorded), with the
  # answers, sent to the asker or, for a call, to its alias (by call tag).
  defp api?({:trace_ts, _, :send, msg, to, _}, s),
    do: to == s.controller or is_map_key(s.own, to) or answer_to_own?(msg, s)

  defp api?({:trace_ts, _, :receive, {tag, _}, _}, s), do: is_map_key(s.api_tags, tag)

  defp api?({:trace_ts, _, :receive, {:"$gen_call", {from, _}, _}, _}, s),
    do: is_map_key(s.own, from)

  # {:code_call, from, request}, {:io_request, from, ref, request} and the like
  defp api?({:trace_ts, _, :receive, msg, _}, s)
       when is_tuple(msg) and tuple_size(msg) in [3, 4] and is_pid(elem(msg, 1)),
       do: is_map_key(s.own, elem(msg, 1))

  defp api?(_msg, _s), do: false

  defp answer_to_own?({tag, _}, s), do: is_map_key(s.api_tags, tag)
  defp answer_to_own?(_msg, _s), do: false

  defp api({:trace_ts, _, :send, {:"$gen_call", {_, tag}, _}, _, _}, s),
    do: %{s | api_tags: Map.put(s.api_tags, tag, true)}

  defp api({:trace_ts, _, :send, {tag, _}, _, _}, s),
    do: %{s | api_tags: Map.delete(s.api_tags, tag)}

  defp api({:trace_ts, _, :receive, {:"$gen_call", {_, tag}, _}, _}, s),
    do: %{s | api_tags: Map.put(s.api_tags, tag, true)}

  defp api({:trace_ts, _, :receive, {tag, _}, _}, s),
    do: %{s | api_tags: Map.delete(s.api_tags, tag)}

  defp api(_msg, s), do: s

  defp skip_big(msg, buf, n, w, s) do
    t = ts(msg)
    s = huge(msg, :erts_debug.flat_size(msg), s)
    :erlang.garbage_collect(self(), type: :minor)
    loop(buf, n, w, drop(%{s | seen: s.seen + 1}, :overload, t, t, 1))
  end

  defp big?({:trace_ts, _, tag, {m, _, _}, _, _}, mods)
       when tag in [:return_from, :exception_from],
       do: is_map_key(mods, m)

  defp big?({:trace_ts, _, :call, {m, _, _}, _}, mods), do: is_map_key(mods, m)
  defp big?(_msg, _mods), do: false

  defp big_module({:trace_ts, _, tag, {m, _, _}, _, _}, s)
       when tag in [:return_from, :exception_from],
       do: %{s | big_mods: Map.put(s.big_mods, m, true)}

  defp big_module({:trace_ts, _, :call, {m, _, _}, _}, s),
    do: %{s | big_mods: Map.put(s.big_mods, m, true)}

  defp big_module(_msg, s), do: s

  defp admit_checked(msg, buf, n, w, s) do
    t = ts(msg)

    cond do
      t >= s.win_end ->
        accept(msg, buf, n, w, %{s | win_end: t + s.win_len, win_base: s.accepted + n})

      s.accepted + n - s.win_base >= s.max_rate ->
        rate_drop(buf, n, w, s, t, t, 1)

      true ->
        accept(msg, buf, n, w, s)
    end
  end

  defp accept(msg, buf, n, w, s) do
    cond do
      s.accepted + n >= s.max_events ->
        # Past the end of the recording: the controller is stopping it.
        loop(buf, n, w, s)

      n < s.chunk_events and w < s.chunk_words ->
        accepted(msg, buf, n, w, s)

      room?(s) ->
        s = handoff(buf, n, w, s)
        accepted(msg, [], 0, 0, s)

      true ->
        t = ts(msg)
        buffer_drop(buf, n, w, s, t, t, 1)
    end
  end

  defp accepted(msg, buf, n, w, s) do
    if s.accepted + n + 1 == s.max_events do
      send(s.controller, {:otpscope_limit, :max_events})
    end

    case :erts_debug.flat_size(msg) do
      size when size > @big_words ->
        # its module and process are read from the message as it came
        # (a cut one is a row: Chunk.precut/2)
        s = big_module(msg, huge(msg, size, s))
        msg = Chunk.precut(msg, s.limits)
        # the original is garbage now; a huge one is freed at once rather
        # than at the next collection, when many more may have piled up
        if size > @collect_words, do: :erlang.garbage_collect(self(), type: :minor)
        buf = [msg | buf]
        w = w + :erts_debug.flat_size(msg)
        # A big message takes long to cut while the mailbox fills with more
        # of its kind: measure it and look at the mailbox now rather than
        # 256 messages later (a fraction of the cut's cost).
        s = sample(size, s)

        case judge(s) do
          {:shed, s} -> shed_next(buf, n + 1, w, s)
          {_ok_or_skip, s} -> loop(buf, n + 1, w, s)
        end

      size ->
        loop([msg | buf], n + 1, w + size, s)
    end
  end

  defp room?(s), do: s.in_flight < s.max_in_flight and s.in_flight_words < s.max_words

  # Over max_rate until the current one-second window ends: count and drop
  # without touching the state map. Leaves every @check_every messages so
  # admit/5 can look at the mailbox.
  defp rate_drop(buf, n, w, s, from, to, count) do
    receive do
      msg when elem(msg, 0) == :trace_ts ->
        t = ts(msg)

        cond do
          t < s.win_end and rem(count, s.check_every) != 0 ->
            rate_drop(buf, n, w, s, min(from, t), max(to, t), count + 1)

          t < s.win_end ->
            collect(s, s.check_every)

            s =
              sample(
                :erts_debug.flat_size(msg),
                drop(%{s | seen: s.seen + count}, :rate, from, to, count)
              )

            if overloaded?(s),
              do: shed(buf, n, w, %{s | shedding: true}, t, t, 1, 1),
              else: admit_checked(msg, buf, n, w, s)

          true ->
            admit(msg, buf, n, w, drop(%{s | seen: s.seen + count}, :rate, from, to, count))
        end

      other ->
        control(other, buf, n, w, drop(%{s | seen: s.seen + count}, :rate, from, to, count))
    after
      s.timeout -> finish(buf, drop(s, :rate, from, to, count))
    end
  end

  # The buffer is full and the encoders have no room for it: count and drop
  # without touching the state map until a chunk is written (the writer's
  # acknowledgement is a control message). Looks at the mailbox every
  # @check_every messages (admit/5 may not: its pacing counts `n`, which
  # does not move here).
  defp buffer_drop(buf, n, w, s, from, to, count) do
    receive do
      msg when elem(msg, 0) == :trace_ts ->
        t = ts(msg)

        cond do
          rem(count, s.check_every) != 0 ->
            buffer_drop(buf, n, w, s, min(from, t), max(to, t), count + 1)

          true ->
            collect(s, s.check_every)

            s =
              sample(
                :erts_debug.flat_size(msg),
                drop(%{s | seen: s.seen + count}, :buffer, from, to, count)
              )

            if overloaded?(s),
              do: shed(buf, n, w, %{s | shedding: true}, t, t, 1, 1),
              else: admit_checked(msg, buf, n, w, s)
        end

      other ->
        control(other, buf, n, w, drop(%{s | seen: s.seen + count}, :buffer, from, to, count))
    after
      s.timeout -> finish(buf, drop(s, :buffer, from, to, count))
    end
  end

  # Overloaded after accepting a message: shed from the next one.
  defp shed_next(buf, n, w, s) do
    receive do
      msg when elem(msg, 0) == :trace_ts ->
        t = ts(msg)
        shed(buf, n, w, %{s | shedding: true}, t, t, 1, 1)

      other ->
        control(other, buf, n, w, s)
    after
      s.timeout -> finish(buf, s)
    end
  end

  # Overloaded: discard unread (counted) until the mailbox is below
  # low_water; past suspend_water switch tracing off meanwhile.
  defp shed(buf, n, w, s, from, to, count, seen) do
    receive do
      msg when elem(msg, 0) == :trace_ts ->
        t = ts(msg)
        # a known big one is not measured into the average, and is
        # collected at once; what it copied still counts towards its
        # process's switch to state reads (copied/4)
        big? = big?(msg, s.big_mods)
        s = if big?, do: huge(msg, :erts_debug.flat_size(msg), s), else: s
        if big?, do: :erlang.garbage_collect(self(), type: :minor)

        if rem(seen, s.shed_every) == 0 do
          collect(s, s.shed_every)
          s = if big?, do: s, else: measure(msg, s)
          s = check_overload(hot(s, elem(msg, 1)), t)

          if s.shedding do
            shed(buf, n, w, s, min(from, t), max(to, t), count + 1, seen + 1)
          else
            s = drop(%{s | seen: s.seen + seen}, :overload, from, to, count)
            # back to recording, the big ones dropped until the next look
            s = %{s | skip_big: map_size(s.big_mods) > 0}
            admit(msg, buf, n, w, resume(s))
          end
        else
          shed(buf, n, w, s, min(from, t), max(to, t), count + 1, seen + 1)
        end

      other ->
        s = drop(%{s | seen: s.seen + seen}, :overload, from, to, count)
        control(other, buf, n, w, s)
    after
      s.timeout -> finish(buf, drop(s, :overload, from, to, count))
    end
  end

  # Messages dropped unread are garbage, but each stays attached to the
  # tracer's heap (a heap fragment) until its next garbage collection, and
  # the drop loops allocate nothing, so nothing triggers one: with 16 KB
  # messages the tracer held 83 MB of dropped ones with an empty mailbox
  # (against an 8 MB budget). A minor collection frees them without copying
  # them; it is only worth it when the `n` messages dropped since the last
  # look hold more than @collect_words by the running average.
  defp collect(%{msg_words: avg}, n) when avg * n >= @collect_words,
    do: :erlang.garbage_collect(self(), type: :minor)

  defp collect(_s, _n), do: :ok

  defp overloaded?(s) do
    {:message_queue_len, len} = Process.info(self(), :message_queue_len)
    len > s.high
  end

  # Adds one message's size (words) to the running average of words per
  # message and derives the effective marks from it. The average is
  # exponential and errs on the side of memory: it rises fast (weight 1/2)
  # and falls slowly (weight 1/8). Its samples are the message in hand at
  # each mailbox check, and every message big enough to be cut on arrival
  # (so a workload where few messages are big is overestimated: the mailbox
  # sheds earlier than it would need to).
  defp sample(words, %{msg_words: avg} = s) do
    s =
      if words <= @big_words,
        do: %{s | small_words: max(div(7 * s.small_words + words + 4, 8), 1)},
        else: s

    avg =
      if words >= avg,
        do: div(avg + words + 1, 2),
        else: div(7 * avg + words + 4, 8)

    marks(%{s | msg_words: max(avg, 1)})
  end

  # min(configured, budget / average) for high_water, and low_water and
  # suspend_water scaled by the same factor, so that they keep their order
  # (and suspend_water its meaning: a mailbox still growing while shedding).
  defp marks(%{msg_words: avg} = s) do
    {high, low, suspend} = marks(s, avg)
    # The drop loops look at the mailbox (and collect what they dropped)
    # at least every @collect_words of messages: with 16 MB GenServer
    # states, every 64th message left 1 GB of dropped ones on the heap.
    # Known big ones are collected as they are dropped: the others set
    # the pace then.
    every = if map_size(s.big_mods) > 0, do: s.small_words, else: avg

    %{
      s
      | high: high,
        low: low,
        suspend: suspend,
        check_every: max(min(@check_every, div(@collect_words + every - 1, every)), 1),
        shed_every: max(min(@shed_check_every, div(@collect_words + every - 1, every)), 1)
    }
  end

  defp marks(%{high_water: hw, mailbox_words: budget} = s, avg) do
    if avg * hw <= budget do
      {hw, s.low_water, s.suspend_water}
    else
      high = max(div(budget, avg), 2)
      low = min(max(div(s.low_water * high, hw), 1), high - 1)
      suspend = max(div(s.suspend_water * high, hw), high + 1)
      {high, low, suspend}
    end
  end

  # With big modules known, shedding stops (and tracing is switched off)
  # at the marks of the small messages: the big ones are dropped as they
  # come (see judge/1).
  defp check_overload(s, t) do
    {:message_queue_len, len} = Process.info(self(), :message_queue_len)
    s = if len > s.peak_queue, do: %{s | peak_queue: len}, else: s

    {_high, low, suspend} =
      if map_size(s.big_mods) > 0, do: marks(s, s.small_words), else: {s.high, s.low, s.suspend}

    cond do
      len <= low ->
        %{s | shedding: false}

      len > suspend and s.suspended == nil and s.trace != nil and s.switcher != nil ->
        first = s.hot |> Enum.sort_by(&elem(&1, 1), :desc) |> Enum.map(&elem(&1, 0))
        send(s.switcher, {:otpscope_switch, false, s.trace, first})
        %{s | suspended: t, hot: %{}}

      true ->
        s
    end
  end

  # Tracing switched off and the mailbox drained before the shed loop's next
  # look: no trace message comes to make one, so the flush timer does.
  # Without this, tracing stayed off for the rest of the recording
  # (measured with 16 MB GenServer states: one gap as long as the run).
  defp check_suspended(s) do
    case check_overload(s, :erlang.monotonic_time(:nanosecond)) do
      %{shedding: false} = s -> resume(s)
      s -> s
    end
  end

  # Tracing is switched off and on by the switcher (Otpscope.Switcher), not
  # here: switching every process's flags waits for each process, and under
  # load the tracer stuck in it let its mailbox reach 750 000 messages
  # (172 MB against an 8 MB budget). The tracer keeps shedding meanwhile.
  # The gap ends when the switcher says the flags are back on
  # ({:otpscope_resumed, t}, see control/5).
  defp resume(%{suspended: nil} = s), do: %{s | shedding: false}

  defp resume(s) do
    send(s.switcher, {:otpscope_switch, true, s.trace})
    %{s | suspended: nil, shedding: false, resuming: s.resuming ++ [s.suspended]}
  end

  # The processes whose messages fill the mailbox go off first: the
  # switcher takes one process at a time, each waiting for that process
  # (with every process traced, the flooding ones could come last). Sampled
  # at the looks while shedding, at most 64 of them.
  defp hot(%{hot: hot} = s, pid) do
    cond do
      is_map_key(hot, pid) -> %{s | hot: %{hot | pid => hot[pid] + 1}}
      map_size(hot) < 64 -> %{s | hot: Map.put(hot, pid, 1)}
      true -> s
    end
  end

  # The gap: no events were generated while tracing was off.
  defp gap(s, from, to) do
    s = if s.drop, do: %{s | drops: [s.drop | s.drops], drop: nil}, else: s
    %{s | drops: [{:overload, from, to, 0} | s.drops]}
  end

  # At the end the controller has switched tracing off already: the gaps
  # still open end now.
  defp close_gaps(s) do
    now = :erlang.monotonic_time(:nanosecond)
    open = s.resuming ++ if(s.suspended, do: [s.suspended], else: [])
    s = Enum.reduce(open, s, &gap(&2, &1, now))
    %{s | suspended: nil, resuming: [], shedding: false}
  end

  defp ts(msg) do
    {t, _u} = :erlang.element(tuple_size(msg), msg)
    t
  end

  # Drop runs: consecutive drops for the same reason merge into one
  # {reason, from, to, count}. from/to are the earliest and latest timestamps
  # seen in the run: trace messages from different schedulers can arrive out
  # of timestamp order.
  defp drop(%{drop: {reason, from0, to0, c0}} = s, reason, from, to, count),
    do: %{
      s
      | drop: {reason, min(from0, from), max(to0, to), c0 + count},
        dropped: s.dropped + count
    }

  defp drop(%{drop: nil} = s, reason, from, to, count),
    do: %{s | drop: {reason, from, to, count}, dropped: s.dropped + count}

  defp drop(%{drop: run} = s, reason, from, to, count),
    do: %{s | drop: {reason, from, to, count}, drops: [run | s.drops], dropped: s.dropped + count}

  # Runs are kept as {reason, from, to, count}; chunks want {from, to, count, reason}.
  defp take_drops(%{drop: nil, drops: drops} = s), do: {export(drops), %{s | drops: []}}

  defp take_drops(%{drop: run, drops: drops} = s),
    do: {export([run | drops]), %{s | drop: nil, drops: []}}

  defp export(runs),
    do: Enum.reduce(runs, [], fn {r, from, to, c}, acc -> [{from, to, c, r} | acc] end)

  # Buffers go straight to an encoder (round robin), numbered so the writer
  # appends them in order.
  #
  # A buffer's size is the sum of its messages' flat sizes: what the handoff
  # copies into the encoder.
  defp handoff(buf, n, words, s) do
    {drops, s} = take_drops(s)
    hand(buf, drops, s)

    %{
      s
      | in_flight: s.in_flight + 1,
        in_flight_words: s.in_flight_words + words,
        sizes: Map.put(s.sizes, s.handed, words),
        handed: s.handed + 1,
        accepted: s.accepted + n,
        seen: 0
    }
  end

  defp hand(buf, drops, s) do
    encoder = elem(s.encoders, rem(s.handed, tuple_size(s.encoders)))
    send(encoder, {:otpscope_chunk, self(), s.handed, buf, drops})
  end

  defp control({:otpscope_written, seq}, buf, n, w, s) do
    {words, sizes} = Map.pop(s.sizes, seq, 0)

    s = %{
      s
      | in_flight: s.in_flight - 1,
        in_flight_words: s.in_flight_words - words,
        sizes: sizes
    }

    # A full buffer was waiting for a free slot: hand it over now.
    if (n >= s.chunk_events or w >= s.chunk_words) and s.in_flight_words < s.max_words,
      do: loop([], 0, 0, handoff(buf, n, w, s)),
      else: loop(buf, n, w, s)
  end

  defp control(:flush, buf, n, w, s) do
    :erlang.send_after(s.flush_interval, self(), :flush)
    s = if s.suspended, do: check_suspended(s), else: s

    if (n > 0 or s.drop != nil or s.drops != []) and room?(s),
      do: loop([], 0, 0, handoff(buf, n, w, s)),
      else: loop(buf, n, w, s)
  end

  defp control({:otpscope_trace, trace}, buf, n, w, s),
    do: loop(buf, n, w, %{s | trace: trace, own: Map.new(trace.exclude, &{&1, true})})

  # a chosen name's new holder (Otpscope.Recorder): flags on it are switched
  # like the others' under overload
  defp control({:otpscope_follow, pid}, buf, n, w, %{trace: %Trace{}} = s),
    do: loop(buf, n, w, %{s | trace: Trace.add_chosen(s.trace, pid)})

  defp control({:otpscope_resumed, t}, buf, n, w, %{resuming: [from | rest]} = s),
    do: loop(buf, n, w, gap(%{s | resuming: rest}, from, t))

  defp control({:otpscope_calls, mod, fas}, buf, n, w, s),
    do: loop(buf, n, w, %{s | calls: Map.put(s.calls, mod, call_set(fas))})

  defp control({:otpscope_state_reader, pid}, buf, n, w, s),
    do: loop(buf, n, w, %{s | state_reader: pid})

  # A state read by the state reader: an event like the trace messages.
  defp control({:otpscope_state, _, _, _, _} = msg, buf, n, w, s), do: admit(msg, buf, n, w, s)

  defp control({:otpscope_stop, from, stop_info}, buf, n, w, s) do
    # The recording ends, so the writer may take the few buffers the drain
    # makes.
    loop(buf, n, w, %{
      s
      | timeout: 0,
        stopping: {from, stop_info},
        max_in_flight: :infinity,
        max_words: :infinity
    })
  end

  # Ring mode: a dump. The buffer goes to the encoders now, whatever its
  # size and the room left (like at stop), so the window ends with the last
  # event traced before the request; the writer dumps once every buffer
  # handed over so far is in its ring.
  defp control({:otpscope_dump, req}, buf, n, w, s) do
    s = handoff(buf, n, w, s)
    send(s.writer, {:otpscope_dump, s.handed, Map.put(req, :tracer, stats(s))})
    loop([], 0, 0, s)
  end

  defp control({:otpscope_stats, from}, buf, n, w, s) do
    send(from, {:otpscope_stats, stats(%{s | accepted: s.accepted + n})})
    loop(buf, n, w, s)
  end

  # The archive cannot be written any more (Otpscope.Writer, a full disk):
  # nothing buffered now would reach it, so from here on the mailbox is
  # discarded unread until the stop.
  defp control(:otpscope_dead, _buf, _n, _w, s), do: dead(s)

  defp control(_other, buf, n, w, s), do: loop(buf, n, w, s)

  defp dead(s) do
    receive do
      {:otpscope_stop, from, stop_info} ->
        dead(%{s | timeout: 0, stopping: {from, stop_info}})

      {:otpscope_stats, from} ->
        send(from, {:otpscope_stats, stats(s)})
        dead(s)

      _ ->
        dead(s)
    after
      s.timeout -> finish([], s)
    end
  end

  defp finish(buf, s) do
    s = close_gaps(%{s | accepted: s.accepted + length(buf)})
    {drops, s} = take_drops(s)
    {from, stop_info} = s.stopping
    hand(buf, drops, s)
    send(s.writer, {:otpscope_finish, from, Map.put(stop_info, :tracer, stats(s)), s.handed + 1})
    :ok
  end

  # `sample:` records a fraction of the processes, chosen by a hash of the
  # pid, so a process is recorded whole or not at all. Processes outside
  # the sample that ran before the start have no trace flags; a new one
  # inherits them, and loses them when its `spawned` event shows up here.
  # A module loaded while recorded gets a pattern on all its exported
  # functions at load, until the controller narrows it to its callbacks
  # (Otpscope.Trace.watch_loads/2): meanwhile the calls of its other
  # functions are not recorded. Which are its callbacks is read once, at
  # the first call of it seen here, and again when the controller says
  # what it kept (`:otpscope_calls`, after a hot code load too).
  @doc "The functions whose calls are recorded, by module, from the traced `{m, f, a}` (`:_` for any)."
  def calls(mfas) do
    mfas
    |> Enum.group_by(&elem(&1, 0), fn {_, f, a} -> {f, a} end)
    |> Map.new(fn {m, fas} -> {m, call_set(fas)} end)
  end

  defp call_set(fas) do
    if Enum.any?(fas, &(elem(&1, 0) == :_)), do: :all, else: Map.new(fas, &{&1, true})
  end

  defp learn({:trace_ts, _, :call, {m, _, _}, _}, s), do: learn(m, s)

  defp learn({:trace_ts, _, tag, {m, _, _}, _, _}, s) when tag in [:return_from, :exception_from],
    do: learn(m, s)

  defp learn(m, %{calls: calls} = s) when is_atom(m) and not is_map_key(calls, m) do
    fas =
      if s.late_callbacks and not Otpscope.Callbacks.own?(m),
        do: for({_, f, a} <- Otpscope.Callbacks.functions(m), do: {f, a}),
        else: []

    %{s | calls: Map.put(calls, m, call_set(fas))}
  end

  defp learn(_msg, s), do: s

  defp unwanted?({:trace_ts, _, :call, {m, f, args}, _}, calls),
    do: not wanted?(Map.get(calls, m, :all), f, length(args))

  defp unwanted?({:trace_ts, _, tag, {m, f, a}, _, _}, calls)
       when tag in [:return_from, :exception_from],
       do: not wanted?(Map.get(calls, m, :all), f, a)

  defp unwanted?(_msg, _calls), do: false

  defp wanted?(:all, _f, _a), do: true
  defp wanted?(set, f, a), do: is_map_key(set, {f, a}) or is_map_key(set, {f, :_})

  @doc "Is `pid` in a sample below `threshold` (Otpscope.Trace.sample_threshold/1)?"
  def in_sample?(pid, threshold), do: :erlang.phash2(pid, 134_217_728) < threshold

  defp sampled?(msg, s) do
    pid = elem(msg, 1)

    cond do
      in_sample?(pid, s.sample) ->
        true

      elem(msg, 2) == :spawned and s.trace != nil ->
        Trace.forget(s.trace, pid)
        false

      true ->
        false
    end
  end

  # A gen_server/gen_statem started after the recording began whose module we
  # do not trace yet: ask the controller to trace its callbacks. Its init/1 may
  # already have run by then (documented limit).
  defp watch(
         {:trace_ts, p, tag, other, {:proc_lib, :init_p, [_, _, :gen, :init_it, args]}, _},
         s
       )
       when tag in [:spawn, :spawned] do
    # (a gen_event manager starts with no callback module: its handlers come
    # later, and its args hold the placeholder atom :"no callback module")
    mod =
      case args do
        [:gen_event | _] -> nil
        [_gen, _starter, _parent, _name, mod, _args, _opts] -> mod
        [_gen, _starter, _parent, mod, _args, _opts] -> mod
        _ -> nil
      end

    # dump_on: [exit_of: Module]: the controller watches the new process
    if MapSet.member?(s.exit_modules, mod) do
      send(s.controller, {:otpscope_watch, if(tag == :spawn, do: other, else: p), mod})
    end

    if is_atom(mod) and mod != nil and not MapSet.member?(s.known_modules, mod) do
      send(s.controller, {:otpscope_new_module, mod})
      %{s | known_modules: MapSet.put(s.known_modules, mod)}
    else
      s
    end
  end

  defp watch(_msg, s), do: s

  defp stats(s) do
    %{
      accepted: s.accepted,
      dropped: s.dropped,
      peak_queue: s.peak_queue,
      suspended: s.suspended != nil or s.resuming != []
    }
  end
end

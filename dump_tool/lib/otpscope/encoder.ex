defmodule Otpscope.Encoder do
  @moduledoc false
  # One of the writer's encoder processes. The tracer hands each full buffer
  # straight to an encoder (round robin over the pool, so a buffer is copied
  # once); the encoder turns it into a chunk (Otpscope.Chunk), deflates and
  # checksums it, and sends the finished entry data to the writer, which
  # appends entries in chunk order. Encoding is most of the recorder's work
  # (~1 µs per event), so the pool (one encoder per scheduler, at most 4)
  # keeps up with event rates a single process could not.
  #
  # The writer is encoder 0 itself (it calls encode/3 inline), so
  # `encoders: 1` adds no process; each further encoder is one of these.
  #
  # Each encoder owns its zlib stream (zlib streams belong to the process that
  # opened them). Between chunks an idle encoder hibernates, which gives the
  # chunk's garbage back at once, so an idle pool holds almost no memory.

  alias Otpscope.Chunk

  # Words. Encoding a ping-pong chunk of 16384 events from the default
  # 233-word heap spent ~25 % of its time in garbage collections, mostly
  # copying the buffer being encoded as the heap grew: 1.74 -> 1.29
  # µs/event with this (2 MB; 4 and 8 MB were no better). The heap goes back
  # to its live size when the encoder hibernates between chunks.
  @min_heap_size 250_000
  def min_heap_size, do: @min_heap_size

  def start_link(opts) do
    :proc_lib.spawn_opt(__MODULE__, :init, [opts], [
      :link,
      {:message_queue_data, :off_heap},
      {:fullsweep_after, 20},
      {:min_heap_size, @min_heap_size}
    ])
  end

  def init(opts), do: loop(setup(opts))

  @doc "Adds the encoding state (a zlib stream of the calling process) to `opts`."
  def setup(opts) do
    z = :zlib.open()
    :ok = :zlib.deflateInit(z, opts.level, :deflated, -15, 9, :default)
    Map.put(opts, :z, z)
  end

  # The writer's word to its encoders that the archive cannot be written
  # any more (a full disk): an atomics array, read before each chunk, since
  # a message would wait behind the buffers already queued. Slot 1 is the
  # flag; slot 2 counts the chunks the encoders encoded and slot 3 what
  # that count was when the flag went up (what a test looks at).
  @doc "A new flag for dead?/1."
  def new_dead, do: :atomics.new(3, signed: false)

  @doc "Raises the flag: the archive is dead."
  def kill(dead) do
    :atomics.put(dead, 3, :atomics.get(dead, 2))
    :atomics.put(dead, 1, 1)
  end

  @doc "Is the archive dead (kill/1)?"
  def dead?(dead), do: :atomics.get(dead, 1) == 1

  @doc false
  def loop(s) do
    receive do
      {:otpscope_chunk, tracer, seq, buf, drops} ->
        if dead?(s.dead) do
          # acknowledged unencoded (the writer only acknowledges now)
          send(s.writer, {:otpscope_encoded, seq, tracer, :dropped})
          loop(s)
        else
          chunk = encode(buf, drops, s)
          :atomics.add(s.dead, 2, 1)
          send(s.writer, {:otpscope_encoded, seq, tracer, chunk})
          idle(s)
        end

      {:otpscope_exit, from} ->
        :zlib.close(s.z)
        send(from, {:otpscope_encoder_done, self()})
    end
  end

  defp idle(s) do
    case Process.info(self(), :message_queue_len) do
      {:message_queue_len, 0} -> :erlang.hibernate(__MODULE__, :loop, [s])
      _ -> collect_and_loop(s)
    end
  end

  # Busy: more buffers wait. The one just encoded is garbage, and the
  # binaries its messages refer to (payloads over 64 bytes are shared, not
  # copied) stay allocated until a collection; a full one now frees them
  # as hibernating would (the live heap is only `s`).
  defp collect_and_loop(s) do
    :erlang.garbage_collect()
    loop(s)
  end

  @doc "Encodes one buffer into the writer's chunk description (`:empty` for nothing)."
  def encode([], [], _s), do: :empty

  def encode(buf, drops, s) do
    chunk = Chunk.encode(buf, drops, s.limits, s.spawned, Map.get(s, :naming, %{}))
    data = deflate(s.z, chunk.pieces)

    %{
      data: data,
      crc: :erlang.crc32(chunk.pieces),
      usize: :erlang.iolist_size(chunk.pieces),
      n: chunk.n,
      cuts: chunk.cuts,
      drops: drops,
      facts: chunk.facts,
      pids: chunk.pids,
      t0: chunk.t0,
      t1: chunk.t1
    }
  end

  # A sync flush after each column ends the deflate block, so every column
  # gets Huffman tables of its own while matches still reach back across
  # columns: 3.54 -> 3.18 B/event on the ping-pong benchmark.
  defp deflate(z, pieces) do
    :ok = :zlib.deflateReset(z)

    out =
      for piece <- pieces do
        flush = if :erlang.iolist_size(piece) > 64, do: :sync, else: :none
        :zlib.deflate(z, piece, flush)
      end

    IO.iodata_to_binary([out | :zlib.deflate(z, [], :finish)])
  end
end

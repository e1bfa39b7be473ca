# The cost of keeping float zeros' signs in the chunk's table of terms
# (Otpscope.Chunk.intern_term/5, OTP 26 and older): encodes chunks of 16,384
# sends whose terms are all new (the worst case: every term misses the table),
# with this tree's Chunk and with another version of it (OLD: a chunk.ex,
# compiled as Otpscope.ChunkOld), alternating, and prints ns per event for
# each. Three sets of terms: small ones without floats ({:req, i, "payload"}),
# ones with floats other than zero, and ones holding a float zero.
#
#     git show HEAD~1:dump_tool/lib/otpscope/chunk.ex > /tmp/chunk_old.ex
#     OLD=/tmp/chunk_old.ex mix run bench/zero_terms.exs
old = System.fetch_env!("OLD")

File.read!(old)
|> String.replace("defmodule Otpscope.Chunk do", "defmodule Otpscope.ChunkOld do")
|> Code.compile_string()

n = 16_384
limits = {1024, 100, 100, 100, 10}
me = self()
zero = :erlang.binary_to_term(<<131, 70, 128, 0::56>>)

sets = [
  {"no floats", fn i -> {:req, i, "payload"} end},
  {"floats", fn i -> {:sample, i, i * 0.5 + 0.25} end},
  {"float zeros", fn i -> {:sample, i, if(rem(i, 2) == 0, do: 0.0, else: zero)} end}
]

# in a process of its own with the encoder's heap (Otpscope.Encoder)
run = fn mod, msgs ->
  table = mod.new_spawn_table()

  {pid, ref} =
    :erlang.spawn_opt(
      fn ->
        {us, _} = :timer.tc(fn -> mod.encode(msgs, [], limits, table) end)
        send(me, {:took, self(), us})
      end,
      [:monitor, {:min_heap_size, Otpscope.Encoder.min_heap_size()}]
    )

  us = receive(do: ({:took, ^pid, us} -> us))
  receive(do: ({:DOWN, ^ref, _, _, _} -> :ok))
  :ets.delete(table)
  us * 1000 / n
end

for {label, term} <- sets do
  # newest first, as the tracer hands them over
  msgs =
    for i <- n..1//-1,
        do: {:trace_ts, me, :send, term.(i), me, {1_000_000 + i, i}}

  # warm up both
  run.(Otpscope.Chunk, msgs)
  run.(Otpscope.ChunkOld, msgs)

  {olds, news} =
    Enum.reduce(1..11, {[], []}, fn _, {o, nn} ->
      {[run.(Otpscope.ChunkOld, msgs) | o], [run.(Otpscope.Chunk, msgs) | nn]}
    end)

  median = fn xs -> Enum.at(Enum.sort(xs), div(length(xs), 2)) end

  IO.puts(
    "#{label}: median old #{round(median.(olds))} new #{round(median.(news))} ns/event, " <>
      "fastest old #{round(Enum.min(olds))} new #{round(Enum.min(news))} " <>
      "(11 alternating runs each: old #{inspect(Enum.map(Enum.reverse(olds), &round/1))}, new #{inspect(Enum.map(Enum.reverse(news), &round/1))})"
  )
end

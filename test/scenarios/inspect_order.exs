# A GenServer whose state has what inspect/1 prints differently across
# versions: a map whose atom keys were made at run time in reverse order
# (OTP 26+ keeps small maps' atom keys in the order the atoms were made), a
# string with a no-break space and a zero-width joiner (Elixir 1.18 writes
# them as \u escapes) and a compiled Regex (1.18 keeps its options as a
# list). Recorded on Elixir 1.14 / OTP 25 and on 1.18 / OTP 27 (the trixie
# chroot); beside each archive, NAME.json holds what the recording node's own
# inspect/1 printed for each state, which the analyzer must print alike.
defmodule Scn.Order do
  use GenServer

  def init(keys) do
    {:ok, %{keys: Map.new(keys, &{&1, Atom.to_string(&1)}), text: "a\u00A0b\u200Dc", re: ~r/ab+c/iu, n: 0}}
  end

  def handle_call(:bump, _from, s), do: {:reply, s.n, %{s | n: s.n + 1}}
end

out = System.get_env("OUT", "../test/fixtures/scenarios")
name = System.get_env("NAME", "inspect-order-1.14.zip")
Code.ensure_loaded(Scn.Order)
# Made now, last letters first: sorted order and creation order differ.
keys = Enum.map(["zz_scn_order", "mm_scn_order", "aa_scn_order"], &String.to_atom/1)
me = self()

Otpscope.record([file: Path.join(out, name), processes: :new], fn ->
  {:ok, srv} = GenServer.start(Scn.Order, keys)
  0 = GenServer.call(srv, :bump)
  1 = GenServer.call(srv, :bump)
  send(me, {:states, Enum.map(0..2, fn n -> inspect(%{:sys.get_state(srv) | n: n}) end)})
  Process.sleep(20)
end)

receive do
  {:states, states} ->
    json = "{\"elixir\": \"#{System.version()}\", \"states\": [" <> Enum.map_join(states, ", ", &inspect/1) <> "]}\n"
    File.write!(Path.join(out, name <> ".json"), json)
end

# GenServers that were running before the recording started: a counter at
# 5 that gets one cast while recorded, an idle cache that handles nothing,
# and a gen_statem door, locked. Their states at start are read with
# :sys.get_state before tracing begins, so the analyzer knows all three.
defmodule Scn.Counter do
  use GenServer
  def init(n), do: {:ok, %{n: n}}
  def handle_cast(:bump, s), do: {:noreply, %{s | n: s.n + 1}}
end

defmodule Scn.Cache do
  use GenServer
  def init(entries), do: {:ok, entries}
end

defmodule Scn.Lock do
  @behaviour :gen_statem
  def callback_mode, do: :state_functions
  def init(code), do: {:ok, :locked, %{code: code}}
  def locked(:cast, {:button, code}, %{code: code} = d), do: {:next_state, :open, d}
  def locked(:cast, _, _d), do: :keep_state_and_data
end

out = System.get_env("OUT", "../test/fixtures/scenarios")
{:ok, counter} = GenServer.start(Scn.Counter, 0)
for _ <- 1..5, do: GenServer.cast(counter, :bump)
{:ok, cache} = GenServer.start(Scn.Cache, %{"a" => 1, "b" => [2, 3]})
{:ok, lock} = :gen_statem.start(Scn.Lock, 7, [])
:sys.get_state(counter)

Otpscope.record([file: Path.join(out, "start-states.zip"), processes: [counter, cache, lock]], fn ->
  GenServer.cast(counter, :bump)
  :gen_statem.cast(lock, {:button, 7})
  Process.sleep(20)
end)

# GenServers whose states are too big to copy into trace messages (over a
# sixteenth of max_mailbox_memory: 512 KB here). `big` holds a 50 000-element
# list (800 KB) from the start: its calls are never traced, its state is read
# at start and every second, cut inside the process. `grows` starts small
# (its callbacks traced), then one call makes its state 800 KB: that call's
# return is the last traced, and its state is read every second from then on.
defmodule Scn.Big do
  use GenServer
  def init(n), do: {:ok, %{n: 0, items: Enum.to_list(1..n)}}
  def handle_call(:bump, _from, s), do: {:reply, s.n + 1, %{s | n: s.n + 1}}
  def handle_call({:grow, k}, _from, s), do: {:reply, :ok, %{s | items: Enum.to_list(1..k) ++ s.items}}
end

out = System.get_env("OUT", "../test/fixtures/scenarios")
{:ok, big} = GenServer.start(Scn.Big, 50_000)
{:ok, grows} = GenServer.start(Scn.Big, 10)

Otpscope.record(
  [file: Path.join(out, "huge-states.zip"), processes: [big, grows], max_mailbox_memory: 8_000_000],
  fn ->
    for _ <- 1..3, do: GenServer.call(big, :bump)
    GenServer.call(grows, :bump)
    GenServer.call(grows, {:grow, 50_000})
    # the recorder switches its calls off once it saw that return
    Stream.repeatedly(fn -> Process.sleep(10); Otpscope.info().huge_states end)
    |> Enum.find(&(length(&1) == 2))
    GenServer.call(grows, :bump)
    Process.sleep(1_500)
  end
)

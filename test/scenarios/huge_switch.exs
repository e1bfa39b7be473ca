# A GenServer whose calls stop being traced in the middle of one: the request
# of its fourth call holds a 100 000-element list (~1.6 MB, over a sixteenth
# of max_mailbox_memory), so the recorder switches its call tracing off at
# that call's trace message (Otpscope.Tracer huge/3) and reads its state at
# intervals from then on. The callback is still running when the switch
# happens (it sleeps), so its return is never traced; the recorder's next
# read of the state shows it had returned by then (spans outcome `untraced`).
# The same happens under the rate rule (a DynamicSupervisor starting
# thousands of children one by one, recorded with processes: :all), but
# there the callback in flight at the switch depends on timing.
#   cd dump_tool && mix run ../test/scenarios/huge_switch.exs
defmodule Scn.Store do
  use GenServer
  def init(:ok), do: {:ok, %{n: 0}}
  def handle_call({:put, x}, _from, s), do: {:reply, x, %{s | n: s.n + 1}}

  def handle_call({:load, items}, _from, s) do
    Process.sleep(200)
    {:reply, :loaded, %{s | n: s.n + length(items)}}
  end
end

out = System.get_env("OUT", "../test/fixtures/scenarios")
name = System.get_env("NAME", "huge-switch.zip")
{:ok, store} = GenServer.start(Scn.Store, :ok)

Otpscope.record(
  [file: Path.join(out, name), processes: [store, self()], max_mailbox_memory: 8_000_000],
  fn ->
    for x <- 1..3, do: GenServer.call(store, {:put, x})
    :loaded = GenServer.call(store, {:load, Enum.to_list(1..100_000)})
    # the recorder reads the state at once after the switch, then every second
    Process.sleep(1_200)
  end
)

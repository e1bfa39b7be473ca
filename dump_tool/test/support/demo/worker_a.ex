defmodule OtpscopeDemo.WorkerA do
  @moduledoc false
  # Counts to `until` (3) on :increment ticks, pinging WorkerB at each step.
  # Settings come from the :otpscope_demo env so the state stays the
  # two-field map the fixtures assert on.
  use GenServer

  def start_link(_opts), do: GenServer.start_link(__MODULE__, :ok, name: __MODULE__)

  def get_count, do: GenServer.call(__MODULE__, :get_count)

  @impl true
  def init(:ok) do
    Process.send_after(self(), :increment, setting(:interval, 20))
    {:ok, %{count: 0, last_caller: nil}}
  end

  @impl true
  def handle_call(:get_count, from, state) do
    {:reply, state.count, %{state | last_caller: from}}
  end

  @impl true
  def handle_info(:increment, state) do
    count = state.count + 1
    :ok = OtpscopeDemo.WorkerB.ping(self(), "hello from A ##{count}")
    until = setting(:until, 3)
    if count < until, do: Process.send_after(self(), :increment, setting(:interval, 20))

    if count == until and is_pid(setting(:notify, nil)),
      do: send(setting(:notify, nil), {:demo_done, count})

    {:noreply, %{state | count: count}}
  end

  defp setting(key, default) do
    :otpscope_demo |> Application.get_env(:worker_a, []) |> Keyword.get(key, default)
  end
end

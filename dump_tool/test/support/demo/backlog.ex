defmodule OtpscopeDemo.Backlog do
  @moduledoc false
  # A slow consumer: each job takes about a millisecond, so a burst of jobs
  # builds a mailbox backlog that drains over time (the mailbox-growth demo).
  use GenServer

  def start_link(_opts), do: GenServer.start_link(__MODULE__, :ok, name: __MODULE__)

  @doc "Sends `n` jobs at once."
  def flood(n), do: for(i <- 1..n, do: send(__MODULE__, {:job, i}))

  @doc "Returns once every job sent before this call is done."
  def drained, do: GenServer.call(__MODULE__, :drained, 10_000)

  @impl true
  def init(:ok), do: {:ok, %{done: 0}}

  @impl true
  def handle_info({:job, _i}, state) do
    Process.sleep(1)
    {:noreply, %{state | done: state.done + 1}}
  end

  @impl true
  def handle_call(:drained, _from, state), do: {:reply, state.done, state}
end

defmodule OtpscopeDemo.WorkerB do
  @moduledoc false
  use GenServer

  def start_link(_opts), do: GenServer.start_link(__MODULE__, :ok, name: __MODULE__)

  def ping(caller, message), do: GenServer.call(__MODULE__, {:ping, caller, message})

  @doc "A call that takes `ms` milliseconds (the slow-call demo)."
  def slow(ms), do: GenServer.call(__MODULE__, {:slow, ms})

  @impl true
  def init(:ok), do: {:ok, %{pings_received: 0, last_message: nil}}

  @impl true
  def handle_call({:ping, _caller, message}, _from, state) do
    {:reply, :ok, %{state | pings_received: state.pings_received + 1, last_message: message}}
  end

  def handle_call({:slow, ms}, _from, state) do
    Process.sleep(ms)
    {:reply, {:slept, ms}, state}
  end
end

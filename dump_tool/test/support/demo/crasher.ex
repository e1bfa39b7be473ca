defmodule OtpscopeDemo.Crasher do
  @moduledoc false
  # Crashes shortly after each start until it has crashed `crashes` times
  # (counted in the :otpscope_demo env), making a supervisor restart loop.
  use GenServer

  def start_link(_opts), do: GenServer.start_link(__MODULE__, :ok, name: __MODULE__)

  @impl true
  def init(:ok) do
    crashed = Application.get_env(:otpscope_demo, :crashed, 0)

    if crashed < Application.get_env(:otpscope_demo, :crashes, 3),
      do: Process.send_after(self(), :boom, 10)

    {:ok, %{generation: crashed}}
  end

  @impl true
  def handle_info(:boom, state) do
    Application.put_env(:otpscope_demo, :crashed, state.generation + 1)
    raise "boom ##{state.generation + 1}"
  end
end

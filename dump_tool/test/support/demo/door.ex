defmodule OtpscopeDemo.Door do
  @moduledoc false
  # A gen_statem with state functions: a code lock that opens on the right
  # code and closes again after a timeout.
  @behaviour :gen_statem

  def start_link(code), do: :gen_statem.start_link({:local, __MODULE__}, __MODULE__, code, [])
  def press(digit), do: :gen_statem.call(__MODULE__, {:press, digit})

  def child_spec(code), do: %{id: __MODULE__, start: {__MODULE__, :start_link, [code]}}

  @impl true
  def callback_mode, do: :state_functions

  @impl true
  def init(code), do: {:ok, :locked, %{code: code, input: []}}

  def locked({:call, from}, {:press, digit}, data) do
    input = data.input ++ [digit]

    cond do
      input == data.code ->
        {:next_state, :open, %{data | input: []},
         [{:reply, from, :opened}, {:state_timeout, 30, :lock}]}

      length(input) >= length(data.code) ->
        {:keep_state, %{data | input: []}, [{:reply, from, :wrong}]}

      true ->
        {:keep_state, %{data | input: input}, [{:reply, from, :more}]}
    end
  end

  def open(:state_timeout, :lock, data), do: {:next_state, :locked, data}

  def open({:call, from}, {:press, _}, data),
    do: {:keep_state, data, [{:reply, from, :already_open}]}
end

# A gen_statem (state functions): a door that opens with the right code,
# locks again on a state timeout, and answers status calls.
defmodule Scn.Door do
  @behaviour :gen_statem
  def callback_mode, do: :state_functions
  def init(code), do: {:ok, :locked, %{code: code, tries: 0}}
  def locked(:cast, {:button, code}, %{code: code} = d), do: {:next_state, :open, %{d | tries: 0}, [{:state_timeout, 30, :lock}]}
  def locked(:cast, {:button, _}, d), do: {:keep_state, %{d | tries: d.tries + 1}}
  def locked({:call, from}, :status, d), do: {:keep_state_and_data, [{:reply, from, {:locked, d.tries}}]}
  def open(:state_timeout, :lock, d), do: {:next_state, :locked, d}
  def open({:call, from}, :status, _d), do: {:keep_state_and_data, [{:reply, from, :open}]}
  def open(:cast, {:button, _}, _d), do: :keep_state_and_data
end

out = System.get_env("OUT", "../test/fixtures/scenarios")
Code.ensure_loaded(Scn.Door)

Otpscope.record([file: Path.join(out, "gen-statem.zip"), processes: :new], fn ->
  Task.async(fn ->
    {:ok, door} = :gen_statem.start(Scn.Door, 42, [])
    :gen_statem.cast(door, {:button, 1})
    {:locked, 1} = :gen_statem.call(door, :status)
    :gen_statem.cast(door, {:button, 42})
    :open = :gen_statem.call(door, :status)
    Process.sleep(60)
    {:locked, 0} = :gen_statem.call(door, :status)
  end)
  |> Task.await()
end)

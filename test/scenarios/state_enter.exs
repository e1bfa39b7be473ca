# A gen_statem with state enter calls (handle_event_function): a light that
# counts how often it entered a state. An enter call is no message: the
# callback runs on a state change, with the old state as its content.
defmodule Scn.Light do
  @behaviour :gen_statem
  def callback_mode, do: [:handle_event_function, :state_enter]
  def init(:ok), do: {:ok, :off, %{enters: 0}}
  def handle_event(:enter, _old, _state, d), do: {:keep_state, %{d | enters: d.enters + 1}}
  def handle_event(:cast, :flip, :off, d), do: {:next_state, :on, d}
  def handle_event(:cast, :flip, :on, d), do: {:next_state, :off, d}
  def handle_event({:call, from}, :enters, _state, d), do: {:keep_state_and_data, [{:reply, from, d.enters}]}
end

out = System.get_env("OUT", "../test/fixtures/scenarios")
Code.ensure_loaded(Scn.Light)

Otpscope.record([file: Path.join(out, "state-enter.zip"), processes: :new], fn ->
  Task.async(fn ->
    {:ok, light} = :gen_statem.start(Scn.Light, :ok, [])
    :gen_statem.cast(light, :flip)
    :gen_statem.cast(light, :flip)
    3 = :gen_statem.call(light, :enters)
  end)
  |> Task.await()
end)

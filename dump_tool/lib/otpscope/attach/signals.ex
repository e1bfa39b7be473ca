defmodule Otpscope.Attach.Signals do
  @moduledoc """
  SIGTERM to the attach client (`kill PID`, a supervisor stopping it) ends
  the recordings early and still copies them back, as their `--duration`
  would; a second SIGTERM abandons them (the nodes then stop recording and
  remove their archives, as when the client is killed). Without it the
  runtime stops at the first SIGTERM (`init:stop/0`) and the recording is lost.

  Ctrl-C cannot be caught (the runtime's break handler ends the client at
  once): what had come back by then stays in `FILE.part`.

  A handler of `:erl_signal_server` in place of OTP's default one, installed
  by the command line (`install/0`) only, never on a recorded node.
  """
  @behaviour :gen_event

  @doc "Takes SIGTERM over from OTP's default handler in this VM."
  def install do
    :os.set_signal(:sigterm, :handle)

    case :gen_event.swap_handler(:erl_signal_server, {:erl_signal_handler, []}, {__MODULE__, []}) do
      :ok -> :ok
      _ -> :gen_event.add_handler(:erl_signal_server, __MODULE__, [])
    end
  end

  @doc "The recording `agent` reports to this process: stop it on SIGTERM (if `install/0` ran)."
  def subscribe(agent) do
    if __MODULE__ in :gen_event.which_handlers(:erl_signal_server),
      do: :gen_event.call(:erl_signal_server, __MODULE__, {:subscribe, agent, self()}),
      else: :ok
  end

  @impl true
  def init(_), do: {:ok, %{subscribed: [], sigterms: 0}}

  @impl true
  def handle_event(:sigterm, %{sigterms: 0} = st) do
    IO.puts(
      :stderr,
      "otpscope_record: SIGTERM: stopping the recording and copying it back " <>
        "(SIGTERM again to abandon it)"
    )

    for {agent, client} <- st.subscribed, do: send(agent, {:otpscope_stop, client})
    {:ok, %{st | sigterms: 1}}
  end

  def handle_event(:sigterm, _st), do: :erlang.halt(1)
  # as OTP's default handler does
  def handle_event(:sigquit, _st), do: :erlang.halt()
  def handle_event(_signal, st), do: {:ok, st}

  @impl true
  def handle_call({:subscribe, agent, client}, st) do
    # a recording that started after the SIGTERM (its start was under way) stops too
    if st.sigterms > 0, do: send(agent, {:otpscope_stop, client})
    {:ok, :ok, %{st | subscribed: [{agent, client} | st.subscribed]}}
  end

  @impl true
  def handle_info(_msg, st), do: {:ok, st}
end

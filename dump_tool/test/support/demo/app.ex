defmodule OtpscopeDemo.App do
  @moduledoc false
  # The demo application, defined at runtime (no .app file needed) so the
  # supervision-tree facts have an application to hang from.
  use Application

  @modules [
    OtpscopeDemo.App,
    OtpscopeDemo.WorkerA,
    OtpscopeDemo.WorkerB,
    OtpscopeDemo.Crasher,
    OtpscopeDemo.Door,
    OtpscopeDemo.Calc
  ]

  @impl true
  def start(_type, _args) do
    children =
      [OtpscopeDemo.WorkerB, OtpscopeDemo.WorkerA] ++
        Application.get_env(:otpscope_demo, :extra_children, [])

    Supervisor.start_link(children,
      strategy: :one_for_one,
      name: OtpscopeDemo.Supervisor,
      max_restarts: 10,
      max_seconds: 5
    )
  end

  @doc """
  Loads (once) and starts the :otpscope_demo application. `env` goes to its
  environment first (`worker_a: [interval:, until:, notify:]`,
  `extra_children: [...]`, `crashes: n`).
  """
  def start_app(env \\ []) do
    spec = [
      description: ~c"otpscope demo",
      vsn: ~c"0.1.0",
      modules: @modules,
      registered: [],
      applications: [:kernel, :stdlib],
      mod: {__MODULE__, []}
    ]

    case :application.load({:application, :otpscope_demo, spec}) do
      :ok -> :ok
      {:error, {:already_loaded, _}} -> :ok
    end

    for {k, v} <- env, do: Application.put_env(:otpscope_demo, k, v)
    Enum.each(@modules, &Code.ensure_loaded!/1)
    {:ok, _} = Application.ensure_all_started(:otpscope_demo)
    :ok
  end

  def stop_app do
    Application.stop(:otpscope_demo)

    for k <- [:worker_a, :extra_children, :crashes, :crashed],
        do: Application.delete_env(:otpscope_demo, k)

    :ok
  end

  @doc "Loads the demo modules (so their callbacks are traced from the start)."
  def load_modules, do: Enum.each(@modules, &Code.ensure_loaded!/1)
end

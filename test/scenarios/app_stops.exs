# An application-shaped supervision tree stopped the ways a real one stops, each outcome checked while it runs:
#   1. `Task.Supervisor.async_stream_nolink/4` over 1..4 with `timeout: 100, on_timeout: :kill_task`: task 3 sleeps
#      past it and the stream kills it (`{:exit, :timeout}`), 1, 2 and 4 answer;
#   2. `Task.Supervisor.async_nolink/2` of a task that overruns: `Task.yield/2` gives up after 30 ms and
#      `Task.shutdown(t, :brutal_kill)` kills it (nil);
#   3. a stray kill: another process runs `Process.exit(victim, :kill)` on Scn.Victim (a supervised GenServer):
#      its supervisor restarts it (a real crash, kept at error level);
#   4. the tree stops (`Supervisor.stop/1`, as `Application.stop/1` stops an application's top supervisor), its
#      children stopped in reverse order: Scn.Calm stops on `:shutdown`, Scn.Stubborn traps exits and its terminate
#      sleeps past its `shutdown: 100` (killed), Scn.Brutal is `shutdown: :brutal_kill` (killed), the Task.Supervisor.
# Records new processes only (the script's own process is not traced).
#   cd dump_tool && mix run ../test/scenarios/app_stops.exs
defmodule Scn.Brutal do
  use GenServer
  def start_link(_), do: GenServer.start_link(__MODULE__, :ok, name: __MODULE__)
  def init(:ok), do: {:ok, :idle}
end

defmodule Scn.Stubborn do
  use GenServer
  def start_link(_), do: GenServer.start_link(__MODULE__, :ok, name: __MODULE__)
  def init(:ok), do: (Process.flag(:trap_exit, true); {:ok, :idle})
  def terminate(_reason, _s), do: Process.sleep(1000)
end

defmodule Scn.Calm do
  use GenServer
  def start_link(_), do: GenServer.start_link(__MODULE__, :ok, name: __MODULE__)
  def init(:ok), do: {:ok, :calm}
end

defmodule Scn.Victim do
  use GenServer
  def start_link(_), do: GenServer.start_link(__MODULE__, :ok, name: __MODULE__)
  def init(:ok), do: {:ok, :alive}
  def handle_call(:ping, _from, s), do: {:reply, :pong, s}
end

out = System.get_env("OUT", "../test/fixtures/scenarios")
name = System.get_env("NAME", "app-stops.zip")
Enum.each([Scn.Brutal, Scn.Stubborn, Scn.Calm, Scn.Victim], &Code.ensure_loaded/1)
:logger.set_primary_config(:level, :none)
Otpscope.record([file: Path.join(out, name), processes: :new], fn ->
  Task.async(fn ->
    children = [
      {Task.Supervisor, name: Scn.Tasks},
      Scn.Victim,
      Scn.Calm,
      Supervisor.child_spec(Scn.Stubborn, shutdown: 100),
      Supervisor.child_spec(Scn.Brutal, shutdown: :brutal_kill)
    ]
    {:ok, sup} = Supervisor.start_link(children, strategy: :one_for_one, max_restarts: 5)
    # 1. the stream kills its late task
    [ok: 1, ok: 2, exit: :timeout, ok: 4] =
      Task.Supervisor.async_stream_nolink(Scn.Tasks, 1..4, fn i -> Process.sleep(if i == 3, do: 500, else: 10); i end,
        timeout: 100, on_timeout: :kill_task, max_concurrency: 4)
      |> Enum.to_list()
    # 2. the owner shuts its overrunning task down
    t = Task.Supervisor.async_nolink(Scn.Tasks, fn -> Process.sleep(1000) end)
    nil = Task.yield(t, 30) || Task.shutdown(t, :brutal_kill)
    # 3. a stray kill of a supervised server: restarted
    victim = Process.whereis(Scn.Victim)
    spawn(fn -> Process.exit(victim, :kill) end)
    Process.sleep(50)
    true = Process.whereis(Scn.Victim) not in [nil, victim]
    :pong = GenServer.call(Scn.Victim, :ping)
    # 4. the tree stops
    Process.unlink(sup)
    :ok = Supervisor.stop(sup)
    Process.sleep(20)
  end)
  |> Task.await(10_000)
end)
|> then(fn _ -> :ok end)

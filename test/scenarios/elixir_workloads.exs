# Elixir workloads recorded on Elixir 1.18 / OTP 27 (new processes traced):
# - a Task.Supervisor (started while recorded: DynamicSupervisor's module is
#   loaded by then, its first start_child call may run before its callbacks are
#   traced) running four tasks of the same function that crash, within a
#   second: new temporary children each asked for by a call, no restarts;
# - a GenServer whose handle_call waits for a helper's answer with a selective
#   receive inside the callback (the answer is taken there, by no callback),
#   then handles more calls;
# - a GenServer state holding Elixir 1.17+'s Duration, a Date.Range and a
#   Version.Requirement (standard-library structs with Inspect
#   implementations of their own).
defmodule Scn.Waiter do
  use GenServer
  def init(n), do: {:ok, n}

  def handle_call({:ask, x}, _from, n) do
    me = self()
    spawn(fn -> send(me, {:answer, x * 2}) end)
    receive do: ({:answer, y} -> {:reply, y, n + 1})
  end

  def handle_call(:count, _from, n), do: {:reply, n, n}
end

defmodule Scn.Calendar do
  use GenServer

  def init(:ok) do
    {:ok,
     %{
       every: Duration.new!(hour: 1, minute: 30),
       zero: Duration.new!([]),
       precise: Duration.new!(week: 2, second: 5, microsecond: {0, 6}),
       days: Date.range(~D[2026-01-01], ~D[2026-01-05]),
       odd_days: Date.range(~D[2026-01-05], ~D[2026-01-01], -2),
       req: Version.parse_requirement!("~> 1.2 or >= 3.0.0")
     }}
  end

  def handle_call(:get, _from, s), do: {:reply, s, s}
end

out = System.get_env("OUT", "../test/fixtures/scenarios")
name = System.get_env("NAME", "elixir-workloads-otp27.zip")
Code.ensure_loaded(Scn.Waiter)
Code.ensure_loaded(Scn.Calendar)

Otpscope.record([file: Path.join(out, name), processes: :new], fn ->
  Task.async(fn ->
    {:ok, ts} = Task.Supervisor.start_link()

    for i <- 1..4 do
      t = Task.Supervisor.async_nolink(ts, fn -> raise ArgumentError, "task #{i}" end)
      {:exit, _} = Task.yield(t, 1000)
    end

    {:ok, w} = GenServer.start(Scn.Waiter, 0)
    2 = GenServer.call(w, {:ask, 1})
    4 = GenServer.call(w, {:ask, 2})
    2 = GenServer.call(w, :count)
    {:ok, c} = GenServer.start(Scn.Calendar, :ok)
    %{} = GenServer.call(c, :get)
    GenServer.stop(w)
    GenServer.stop(c)
  end)
  |> Task.await()
end)

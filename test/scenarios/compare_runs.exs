# The same scenario recorded three times, for `otpscope compare`:
#   compare-before.zip       the baseline
#   compare-before-again.zip the baseline again (only pids and timings differ)
#   compare-after.zip        three deliberate changes:
#     1. Scn.Price's handle_call({:quote, _}) sleeps 40 ms (a slower callback);
#     2. Scn.Cart sends Scn.Audit an extra {:audit, item, qty} per add (an extra message);
#     3. the second Scn.Worker raises on job 3 (a crash; its supervisor restarts it).
# Named processes (Cart, Price, Audit, the supervisor) match by name; the two
# unnamed workers by initial call and position under the supervisor.
defmodule Scn.Price do
  use GenServer
  def start_link(_), do: GenServer.start_link(__MODULE__, :ok, name: Scn.Price)
  def init(:ok), do: {:ok, %{quotes: 0}}

  def handle_call({:quote, item}, _from, s) do
    if :persistent_term.get(:scn_variant) == :after, do: Process.sleep(40)
    {:reply, {:ok, item, 3}, %{s | quotes: s.quotes + 1}}
  end
end

defmodule Scn.Audit do
  use GenServer
  def start_link(_), do: GenServer.start_link(__MODULE__, :ok, name: Scn.Audit)
  def init(:ok), do: {:ok, %{logs: 0, audits: 0}}
  def handle_cast({:log, _item}, s), do: {:noreply, %{s | logs: s.logs + 1}}
  def handle_info({:audit, _item, _qty}, s), do: {:noreply, %{s | audits: s.audits + 1}}
end

defmodule Scn.Cart do
  use GenServer
  def start_link(_), do: GenServer.start_link(__MODULE__, :ok, name: Scn.Cart)
  def init(:ok), do: {:ok, %{owner: nil, items: %{}}}

  def handle_call({:add, item, qty}, {owner, _}, s) do
    GenServer.cast(Scn.Audit, {:log, item})
    if :persistent_term.get(:scn_variant) == :after, do: send(Scn.Audit, {:audit, item, qty})
    {:reply, :ok, %{s | owner: owner, items: Map.update(s.items, item, qty, &(&1 + qty))}}
  end

  def handle_call(:total, _from, s), do: {:reply, s.items |> Map.values() |> Enum.sum(), s}
end

defmodule Scn.Worker do
  use GenServer
  def start_link(id), do: GenServer.start_link(__MODULE__, id)
  def init(id), do: {:ok, %{id: id, done: 0}}

  def handle_cast({:job, n}, s) do
    if s.id == :w2 and n == 3 and :persistent_term.get(:scn_variant) == :after, do: raise("job #{n} failed")
    {:noreply, %{s | done: s.done + 1}}
  end
end

defmodule Scn.Sup do
  use Supervisor
  def start_link(_), do: Supervisor.start_link(__MODULE__, :ok, name: Scn.Sup)

  def init(:ok) do
    children = [
      Scn.Price,
      Scn.Audit,
      Scn.Cart,
      Supervisor.child_spec({Scn.Worker, :w1}, id: :w1),
      Supervisor.child_spec({Scn.Worker, :w2}, id: :w2)
    ]

    Supervisor.init(children, strategy: :one_for_one, max_restarts: 10, max_seconds: 5)
  end
end

out = System.get_env("OUT", "../test/fixtures/scenarios")
Enum.each([Scn.Price, Scn.Audit, Scn.Cart, Scn.Worker, Scn.Sup], &Code.ensure_loaded/1)
:logger.set_primary_config(:level, :none)

worker = fn id ->
  Enum.find_value(Supervisor.which_children(Scn.Sup), fn {cid, pid, _, _} -> cid == id and pid end)
end

run = fn variant, file ->
  :persistent_term.put(:scn_variant, variant)

  Otpscope.record([file: Path.join(out, file), processes: :new], fn ->
    {:ok, sup} = Scn.Sup.start_link(:ok)
    Process.unlink(sup)

    client =
      Task.async(fn ->
        for item <- [:apple, :pear, :plum, :fig, :kiwi, :lime] do
          :ok = GenServer.call(Scn.Cart, {:add, item, 2})
          {:ok, ^item, 3} = GenServer.call(Scn.Price, {:quote, item})
        end

        12 = GenServer.call(Scn.Cart, :total)

        for n <- 1..5, id <- [:w1, :w2] do
          GenServer.cast(worker.(id), {:job, n})
          Process.sleep(5)
        end
      end)

    Task.await(client)
    Process.sleep(50)
    Supervisor.stop(Scn.Sup)
  end)
end

run.(:before, "compare-before.zip")
run.(:before, "compare-before-again.zip")
run.(:after, "compare-after.zip")

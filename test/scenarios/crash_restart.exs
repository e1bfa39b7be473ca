# A crash and a restart loop: a supervised worker crashes on every :boom;
# its supervisor restarts it each time (max_restarts high enough to survive).
defmodule Scn.Fragile do
  use GenServer
  def start_link(_), do: GenServer.start_link(__MODULE__, :ok, name: Scn.Fragile)
  def init(:ok), do: {:ok, %{hits: 0}}
  def handle_cast(:hit, s), do: {:noreply, %{s | hits: s.hits + 1}}
  def handle_cast(:boom, s), do: raise("boom after #{s.hits} hits")
end

out = System.get_env("OUT", "../test/fixtures/scenarios")
Code.ensure_loaded(Scn.Fragile)
:logger.set_primary_config(:level, :none)

Otpscope.record([file: Path.join(out, "crash-restart.zip"), processes: :new], fn ->
  {:ok, sup} = Supervisor.start_link([Scn.Fragile], strategy: :one_for_one, max_restarts: 10, max_seconds: 5)
  Process.unlink(sup)
  for _ <- 1..4 do
    GenServer.cast(Scn.Fragile, :hit)
    GenServer.cast(Scn.Fragile, :boom)
    Process.sleep(20)
  end
  GenServer.cast(Scn.Fragile, :hit)
  Process.sleep(20)
end)

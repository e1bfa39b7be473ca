# A GenServer whose state is a struct of its own (fields not in alphabetical
# order) holding another struct, and a message carrying one: inspect prints
# them as %Scn.Account{...} in field-definition order, which the analyzer can
# only do from the archive's facts/structs.etf (format 4).
defmodule Scn.Owner do
  defstruct [:name, :id]
end

defmodule Scn.Account do
  use GenServer
  defstruct [:owner, balance: 0, history: []]

  def init(owner), do: {:ok, %__MODULE__{owner: owner}}

  def handle_call({:deposit, n}, _from, s),
    do: {:reply, s.balance + n, %{s | balance: s.balance + n, history: [n | s.history]}}
end

out = System.get_env("OUT", "../test/fixtures/scenarios")
Code.ensure_loaded(Scn.Owner)
Code.ensure_loaded(Scn.Account)

Otpscope.record([file: Path.join(out, "structs.zip"), processes: :new], fn ->
  Task.async(fn ->
    {:ok, acc} = GenServer.start(Scn.Account, struct(Scn.Owner, name: "ann", id: 7))
    5 = GenServer.call(acc, {:deposit, 5})
    7 = GenServer.call(acc, {:deposit, 2})
    GenServer.stop(acc)
  end)
  |> Task.await()
end)

# Charlists through a GenServer: a call with a charlist request, a charlist in
# the state and in the reply. Recorded on Elixir 1.14 (inspect writes 'abc')
# and on 1.15+ (~c"abc"): the analyzer must print each as its node's Elixir
# does. OUT and NAME choose where the archive goes.
defmodule Scn.Chars do
  use GenServer
  def init(:ok), do: {:ok, %{last: ~c"none", names: []}}
  def handle_call({:greet, name}, _from, s), do: {:reply, ~c"hello " ++ name, %{s | last: name, names: [name | s.names]}}
end

out = System.get_env("OUT", "../test/fixtures/scenarios")
name = System.get_env("NAME", "charlists-1.14.zip")
Code.ensure_loaded(Scn.Chars)

Otpscope.record([file: Path.join(out, name), processes: :new], fn ->
  {:ok, srv} = GenServer.start(Scn.Chars, :ok)
  ~c"hello joe" = GenServer.call(srv, {:greet, ~c"joe"})
  ~c"hello ann" = GenServer.call(srv, {:greet, ~c"ann"})
  Process.sleep(20)
end)

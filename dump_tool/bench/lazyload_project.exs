# Generates a Mix project with many modules for measuring what the recorder's
# start costs in interactive mode (`mix run`), where modules load on first use:
#
#   elixir bench/lazyload_project.exs DIR [MODULES] [GENSERVERS] [STRUCTS]
#   cd DIR && mix compile
#   mix run bench.exs OTPSCOPE_DUMP_TOOL_DIR [ROUNDS]
#
# The application starts an empty supervisor, so none of its GenServer or
# struct modules is loaded when bench.exs starts recording. bench.exs prints,
# per round, the wall time of Otpscope.start/1, the node's CPU time during it
# (:erlang.statistics(:runtime), every scheduler), and whether the archive
# has the init state of a GenServer started right after the start.
[dir | rest] = System.argv()

[modules, servers, structs] =
  Enum.map(rest ++ Enum.drop(["2000", "200", "200"], length(rest)), &String.to_integer/1)

File.mkdir_p!(Path.join(dir, "lib"))

File.write!(Path.join(dir, "mix.exs"), """
defmodule Big.MixProject do
  use Mix.Project
  def project, do: [app: :big, version: "0.1.0", elixir: "~> 1.14", deps: []]
  def application, do: [mod: {Big.App, []}]
end
""")

File.write!(Path.join(dir, "lib/app.ex"), """
defmodule Big.App do
  use Application
  def start(_, _), do: Supervisor.start_link([], strategy: :one_for_one, name: Big.Sup)
end
""")

server = fn i ->
  """
  defmodule Big.Server#{i} do
    use GenServer
    def start_link(n), do: GenServer.start_link(__MODULE__, n)
    @impl true
    def init(n), do: {:ok, %{n: n, seen: []}}
    @impl true
    def handle_call(:get, _from, s), do: {:reply, s.n, s}
    def handle_call({:add, x}, _from, s), do: {:reply, :ok, %{s | seen: [x | s.seen]}}
    @impl true
    def handle_cast(x, s), do: {:noreply, %{s | seen: [x | s.seen]}}
  end
  """
end

struct = fn i ->
  """
  defmodule Big.Struct#{i} do
    defstruct [:id, :name, tags: [], n: #{i}]
    def new(id), do: %__MODULE__{id: id}
  end
  """
end

plain = fn i ->
  """
  defmodule Big.Plain#{i} do
    def f(x), do: x + #{i}
    def g(x), do: Enum.map(x, &f/1)
    def h(x) when is_binary(x), do: String.upcase(x)
  end
  """
end

mods =
  for(i <- 1..servers, do: server.(i)) ++
    for(i <- 1..structs, do: struct.(i)) ++
    for(i <- 1..(modules - servers - structs), do: plain.(i))

mods
|> Enum.chunk_every(100)
|> Enum.with_index()
|> Enum.each(fn {chunk, i} ->
  File.write!(Path.join(dir, "lib/mods#{i}.ex"), Enum.join(chunk, "\n"))
end)

File.write!(Path.join(dir, "bench.exs"), ~S"""
[tool | rest] = System.argv()
rounds = String.to_integer(List.first(rest) || "1")
Code.prepend_path(Path.join(tool, "_build/dev/lib/otpscope/ebin"))
{:module, _} = Code.ensure_loaded(Otpscope)
Code.require_file(Path.join(tool, "test/support/archive_reader.ex"))
for round <- 1..rounds do
  file = Path.join(System.tmp_dir!(), "big-#{System.pid()}-#{round}.zip")
  {_, cpu0} = :erlang.statistics(:runtime)
  t0 = System.monotonic_time(:microsecond)
  {:ok, _} = Otpscope.start(file: file, processes: :all)
  wall = System.monotonic_time(:microsecond) - t0
  {_, cpu} = :erlang.statistics(:runtime)
  # a GenServer whose module nothing loaded before the start
  mod = Module.concat(Big, "Server#{round}")
  loaded = :erlang.module_loaded(mod)
  {:ok, pid} = apply(mod, :start_link, [round])
  round = GenServer.call(pid, :get)
  {:ok, ^file} = Otpscope.stop()
  calls = for %{kind: :call, mfa: {^mod, f, _}} <- Otpscope.Test.ArchiveReader.read(file).events, do: f
  File.rm!(file)
  IO.puts("round #{round}: start #{div(wall, 1000)} ms, cpu #{cpu} ms, server loaded before: #{loaded}, callbacks traced: #{inspect(calls)}, load #{:erlang.list_to_binary(:os.cmd(~c"cut -d' ' -f1 /proc/loadavg")) |> String.trim()}")
end
""")

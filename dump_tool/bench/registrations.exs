# The cost of recording a node that takes Registry keys: 100 processes
# spawned while recorded take 500 keys each in a unique Registry (50,000
# `Registry.register/3`) and exit. Prints one line per run: the workload's
# wall time, the node's CPU time from start to the archive's end (runtime
# statistics: every scheduler, the recorder's processes included), the events
# written and the archive's size. Run it with the recorder to compare
# (alternating), e.g. for the tree before a change exported to /tmp/old:
#
#     for i in 1 2 3 4; do
#       (cd /tmp/old/dump_tool && mix run bench/registrations.exs)
#       (cd dump_tool && mix run bench/registrations.exs)
#     done
#
# UNTRACED=1 runs the workload without recording.
procs = String.to_integer(System.get_env("PROCS", "100"))
keys = String.to_integer(System.get_env("KEYS", "500"))
{:ok, _} = Registry.start_link(keys: :unique, name: Bench.Reg)
file = Path.join(System.tmp_dir!(), "otpscope_registrations_#{System.pid()}.zip")

work = fn ->
  parent = self()

  pids =
    for p <- 1..procs do
      spawn(fn ->
        for k <- 1..keys, do: {:ok, _} = Registry.register(Bench.Reg, {p, k}, nil)
        send(parent, {:done, self()})
      end)
    end

  for pid <- pids, do: receive(do: ({:done, ^pid} -> :ok))
end

{cpu0, _} = :erlang.statistics(:runtime)

{wall, events} =
  case System.get_env("UNTRACED") do
    "1" ->
      {us, _} = :timer.tc(work)
      {us, 0}

    _ ->
      {:ok, _} = Otpscope.start(file: file, processes: :new)
      {us, _} = :timer.tc(work)
      {:ok, ^file} = Otpscope.stop()
      {:ok, zip} = :zip.zip_open(String.to_charlist(file), [:memory])
      {:ok, {_, totals}} = :zip.zip_get(~c"totals.json", zip)
      :zip.zip_close(zip)
      [_, n] = Regex.run(~r/"events_written":(\d+)/, totals)
      {us, String.to_integer(n)}
  end

{cpu1, _} = :erlang.statistics(:runtime)
size = if File.exists?(file), do: File.stat!(file).size, else: 0
File.rm(file)

IO.puts(
  "#{System.get_env("LABEL", "run")}: #{procs * keys} registrations, workload #{div(wall, 1000)} ms, " <>
    "node CPU #{cpu1 - cpu0} ms, #{events} events, #{div(size, 1024)} KB"
)

# Line snapshots (option lines:) of an Erlang module with a beam file
# (dump_tool/test/support/demo/otpscope_demo_tally.erl, compiled in dev and
# test): a tail-recursive sum and a case, run by one task.
out = System.get_env("OUT", "../test/fixtures/scenarios")

Otpscope.record([file: Path.join(out, "line-snapshots.zip"), processes: :new, lines: [:otpscope_demo_tally]], fn ->
  Task.async(fn ->
    6 = :otpscope_demo_tally.sum([1, 2, 3])
    {4, {:even, 2}} = :otpscope_demo_tally.classify(4)
  end)
  |> Task.await()
end)

# Source files named as the recording node compiled them (format 3): the demo
# application's GenServers come from dump_tool/test/support/demo/ and the
# recording runs from dump_tool/ (the node's working directory), so the
# archive names WorkerA's source test/support/demo/worker_a.ex.
out = System.get_env("OUT", "../test/fixtures/scenarios")

Otpscope.record([file: Path.join(out, "source-paths.zip"), processes: :new], fn ->
  OtpscopeDemo.App.start_app(worker_a: [notify: self(), interval: 10, until: 2])
  receive do: ({:demo_done, 2} -> :ok)
  Application.stop(:otpscope_demo)
end)

defmodule Otpscope.Test.Case do
  @moduledoc "Helpers shared by the recorder tests."

  @doc "A fresh archive path under the system tmp dir."
  def tmp_file(name) do
    # the OS pid too: unique integers start again in every test run
    dir =
      Path.join(
        System.tmp_dir!(),
        "otpscope_test_#{System.pid()}_#{System.unique_integer([:positive])}"
      )

    File.mkdir_p!(dir)
    Path.join(dir, name)
  end

  @doc """
  Waits until `fun` returns a truthy value (polling), or fails. The timeout
  only bounds a wait for something that never happens: generous, so that a
  loaded machine does not fail the test.
  """
  def eventually(fun, timeout \\ 60_000) do
    deadline = System.monotonic_time(:millisecond) + timeout
    do_eventually(fun, deadline)
  end

  defp do_eventually(fun, deadline) do
    case fun.() do
      result when result not in [nil, false] ->
        result

      _ ->
        if System.monotonic_time(:millisecond) > deadline, do: raise("condition not met in time")
        Process.sleep(10)
        do_eventually(fun, deadline)
    end
  end

  @doc "Waits until every pid in `pids` has exited."
  def await_exits(pids) do
    refs = for pid <- pids, do: Process.monitor(pid)

    for ref <- refs do
      receive do
        {:DOWN, ^ref, :process, _, _} -> :ok
      after
        60_000 -> raise "a process did not exit in time"
      end
    end

    :ok
  end

  @doc "Pid registered as `name` in the recorded events."
  def registered(events, name) do
    Enum.find_value(events, fn
      %{kind: :register, term: ^name, pid: pid} -> pid
      _ -> nil
    end)
  end

  @doc "The modules loaded now, for patterns_left/1."
  def loaded_modules, do: MapSet.new(:erlang.loaded())

  @doc """
  The functions of code loaded since `before` (loaded_modules/0) that carry a
  call or meta trace pattern. A recording, or a test playing another tool,
  must leave none: code loaded while an `on_load` pattern was set keeps it
  after the `on_load` pattern is gone, and a later recording takes it for
  another tool's and leaves those functions untraced.
  """
  def patterns_left(before) do
    for m <- :erlang.loaded(),
        not MapSet.member?(before, m),
        {f, a} <- functions(m),
        :erlang.trace_info({m, f, a}, :traced) not in [{:traced, false}, {:traced, :undefined}] or
          :erlang.trace_info({m, f, a}, :meta) not in [{:meta, false}, {:meta, :undefined}],
        do: {m, f, a}
  end

  # (not m.module_info/1: a call of the module, traced if it carries a pattern)
  defp functions(m) do
    :erlang.get_module_info(m, :functions)
  catch
    _, _ -> []
  end
end

# Hostile trace content for the browser's hostile-archive test: every name,
# state, message, reply and exit reason carries markup, script, URLs or
# bidirectional-override characters, and one state holds a ~1 MB binary
# (max_binary raised). The analyzer must show all of it as text.
defmodule :"Elixir.Scn.Hostile<img src=x onerror=alert('module')>" do
  use GenServer
  def init(_) do
    {:ok,
     %{
       :"<svg onload=alert('key')>" => "\"><img src=x onerror=alert('attr')>",
       :html => "<script>alert('state')</script>",
       :url => "https://evil.example/steal?c=<b>",
       :rtl => "abc\u202Etxt.exe\u202C",
       :big => :binary.copy("<i>x</i>", 130_000)
     }}
  end

  def handle_call({:"<a href=javascript:alert('call')>", arg}, _from, s),
    do: {:reply, {:ok, "<iframe srcdoc=\"<script>alert('reply')</script>\">", arg}, Map.put(s, :last, arg)}

  def handle_cast("<marquee>" <> _ = m, s), do: {:noreply, Map.put(s, :msg, m)}
  def handle_cast(:crash, _s), do: raise("<img src=x onerror=alert('exit')> \u202Edesrever")
end

mod = :"Elixir.Scn.Hostile<img src=x onerror=alert('module')>"
name = :"<img src=x onerror=alert('name')>"
out = System.get_env("OUT", "../test/fixtures/scenarios")
Code.ensure_loaded(mod)
:logger.set_primary_config(:level, :none)

Otpscope.record([file: Path.join(out, "hostile.zip"), processes: :new, max_binary: 2_000_000], fn ->
  {:ok, pid} = GenServer.start(mod, :ok, name: name)
  GenServer.call(name, {:"<a href=javascript:alert('call')>", "</td></tr><script>alert('arg')</script>"})
  GenServer.cast(name, "<marquee>hi</marquee>\u202Egnp.exe")
  send(pid, {:"<style>*{display:none}</style>", "javascript:alert('info')"})
  ref = Process.monitor(pid)
  GenServer.cast(name, :crash)

  receive do
    {:DOWN, ^ref, _, _, _} -> :ok
  end
end)

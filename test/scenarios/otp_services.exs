# A script exercising OTP services, no application of its own: inets' HTTP server
# serving a file and its HTTP client fetching it (one kept-alive connection), every
# process recorded (`processes: :all`, the default). The services' processes
# (httpd's request handler, httpc's handler and manager) sit in supervision trees
# of OTP's inets; the code server, the file server and the logger in kernel's.
out = System.get_env("OUT", "../test/fixtures/scenarios")
name = System.get_env("NAME", "otp-services.zip")
:logger.set_primary_config(:level, :none)
{:ok, _} = Application.ensure_all_started(:inets)
www = Path.join(System.tmp_dir!(), "otpscope_scn_www_#{System.unique_integer([:positive])}")
File.mkdir_p!(www)
File.write!(Path.join(www, "index.html"), String.duplicate("hello ", 200))

{:ok, httpd} =
  :inets.start(:httpd,
    port: 0,
    server_name: ~c"scn",
    server_root: to_charlist(www),
    document_root: to_charlist(www),
    bind_address: {127, 0, 0, 1}
  )

url = ~c"http://127.0.0.1:#{:httpd.info(httpd)[:port]}"

Otpscope.record([file: Path.join(out, name)], fn ->
  for _ <- 1..10 do
    {:ok, {{_, 200, _}, _, _}} = :httpc.request(:get, {url ++ ~c"/index.html", []}, [], [])
  end

  {:ok, {{_, 404, _}, _, _}} = :httpc.request(:get, {url ++ ~c"/missing", []}, [], [])
  Process.sleep(100)
end)

:inets.stop(:httpd, httpd)
File.rm_rf!(www)

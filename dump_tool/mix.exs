defmodule Otpscope.MixProject do
  use Mix.Project

  @version "0.1.0"

  def project do
    [
      app: :otpscope,
      version: @version,
      elixir: "~> 1.14",
      start_permanent: false,
      elixirc_paths: elixirc_paths(Mix.env()),
      erlc_paths: erlc_paths(Mix.env()),
      deps: [],
      escript: [main_module: Otpscope.CLI, name: "otpscope_record", app: nil],
      preferred_cli_env: ["escript.build": :prod],
      docs: [main: "Otpscope"]
    ]
  end

  # The recorder itself needs only the kernel; the tests drive :dbg (runtime_tools)
  # as "another tracer" next to it.
  def application do
    [extra_applications: if(Mix.env() == :test, do: [:runtime_tools], else: [])]
  end

  # The demo application and the archive reader used by the tests and the
  # fixture script live in test/support: compiled in dev and test, never in prod
  # (so never in the escript or a release).
  defp elixirc_paths(:prod), do: ["lib"]
  defp elixirc_paths(_), do: ["lib", "test/support"]
  defp erlc_paths(:prod), do: []
  defp erlc_paths(_), do: ["test/support"]
end

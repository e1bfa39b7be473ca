#!/usr/bin/env bash
# Records the Erlang scenarios of test/scenarios/erlang/ as an Erlang user would: modules compiled by erlc, the
# recorder called from `erl` (Elixir's and the recorder's ebin on the code path). Needs dump_tool compiled (mix compile).
# Usage: erlang.sh [OUT_DIR]   (default test/fixtures/scenarios)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="${1:-$root/test/fixtures/scenarios}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
erlc -o "$work" "$here"/erlang/*.erl
elixir_lib="$(elixir -e 'IO.write(:code.lib_dir(:elixir))')"
recorder="$root/dump_tool/_build/dev/lib/otpscope/ebin"
(cd "$work" && erl -noshell -pa "$work" -pa "$recorder" -pa "$elixir_lib/ebin" \
  -eval "scn_erl_killed:main([\"$out/erlang-killed.zip\"]), halt().")

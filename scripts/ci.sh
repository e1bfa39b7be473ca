#!/usr/bin/env bash
# The one gate: everything CI and a developer run before landing. Stages run in
# order and stop at the first failure: system tools, npm install, type-check,
# format check, import seams, unit tests (Node, real DuckDB-WASM), Elixir recorder tests on
# OTP 25 / Elixir 1.14 and on OTP 27 / Elixir 1.18 (a Debian trixie chroot),
# build, the benchmark harness in --quick mode, browser tests (Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."

stage() { printf '\n=== %s ===\n' "$*"; }

APT_PACKAGES="elixir erlang-dev erlang-runtime-tools erlang-tools erlang-observer chromium unzip"
INSTALL_HINT="apt-get update && apt-get install -y $APT_PACKAGES"

missing_system_tools() {
  local missing=()
  command -v elixir >/dev/null 2>&1 || missing+=(elixir)
  command -v mix >/dev/null 2>&1 || missing+=(mix)
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  # the packaged-site browser test unpacks the release zip as a user would
  command -v unzip >/dev/null 2>&1 || missing+=(unzip)
  # dbg (runtime_tools) and ttb (observer) are needed by the recorder and its tests
  if command -v erl >/dev/null 2>&1; then
    erl -noshell -eval 'case {code:which(dbg), code:which(ttb)} of {non_existing, _} -> halt(1); {_, non_existing} -> halt(1); _ -> halt(0) end' 2>/dev/null || missing+=(erlang-runtime-tools/erlang-observer)
  fi
  echo "${missing[*]:-}"
}

stage "system tools"
missing=$(missing_system_tools)
if [ -n "$missing" ]; then
  echo "missing: $missing"
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing from Debian: $APT_PACKAGES"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q $APT_PACKAGES >/dev/null
    missing=$(missing_system_tools)
    [ -z "$missing" ] || { echo "still missing after install: $missing" >&2; exit 1; }
  else
    echo "otpscope tests need Elixir/Erlang and Chromium. Run as root:" >&2
    echo "  $INSTALL_HINT" >&2
    exit 1
  fi
fi
elixir --version | tail -1
/usr/bin/chromium --version 2>/dev/null || true

stage "npm install"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # npm ci rejects this lock (npm 11 leaves other platforms' optional packages out of it here); install honours it.
  npm install --no-audit --no-fund
fi

stage "type-check (svelte-check, tsc for worker and node)"
npm run --silent check

stage "format check (prettier)"
npm run --silent lint

stage "import seams (scripts/check-seams.mjs)"
node scripts/check-seams.mjs

stage "unit and integration tests (vitest, DuckDB-WASM Node build)"
npx vitest run

stage "recorder (mix format, compile --warnings-as-errors, mix test)"
(
  cd dump_tool
  export MIX_ENV=test
  mix format --check-formatted
  mix compile --warnings-as-errors
  mix test --warnings-as-errors
)

# recorder: the same suite on OTP 27 / Elixir 1.18. The chroot is built once
# per machine (~5 min, ~240 MB in /var/cache/otpscope) and reused.
stage "recorder on OTP 27 / Elixir 1.18 (scripts/trixie-chroot.sh)"
if [ "$(id -u)" = 0 ]; then
  scripts/trixie-chroot.sh test
else
  echo "skipped: the chroot needs root (run: sudo scripts/trixie-chroot.sh test)"
fi

stage "build the analyzer"
npx vite build --logLevel warn

stage "benchmark harness (--quick)"
node bin/bench.mjs --quick

stage "browser tests (Chromium, built site on localhost)"
node --test --test-concurrency=1 test/browser/

#!/usr/bin/env bash
# Runs the recorder's ExUnit suite on OTP 27 / Elixir 1.18, the versions Debian
# trixie ships, in a chroot. The machine itself has bookworm's OTP 25 / Elixir
# 1.14; OTP 27 adds the :trace module's sessions, which the recorder uses when
# present, and Elixir 1.15+ changed how charlists print, so both must be tested.
#
# The chroot is built once per machine into a cache directory and reused: the
# first build downloads ~150 MB of packages and takes several minutes; later runs
# only copy dump_tool/ in and run the suite. A build cut short is thrown away
# and started again (it is made in DIR.partial and renamed when complete).
#
# Usage: scripts/trixie-chroot.sh [build|test|traces|raw|terms|shell]   (default: test)
#   traces: writes test/fixtures/otp27/{dbg,ttb}, the raw-trace fixtures as OTP 27's
#           dbg and ttb write them (test/fixtures/gen-traces.sh's workload)
#   raw:    writes test/fixtures/otp27/raw, test/fixtures/raw/gen.sh's traces as OTP 27 writes them
#   terms:  writes test/fixtures/terms/elixir-1.18/, test/fixtures/gen-terms.exs's terms
#           as Elixir 1.18 on OTP 27 encodes and inspects them
#   OTPSCOPE_TRIXIE_DIR     where the chroot lives (default /var/cache/otpscope/trixie)
#   OTPSCOPE_DEBIAN_MIRROR  Debian mirror (default: the first one apt already uses)
# Needs root (debootstrap, chroot, mount) and the Debian mirror.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

CHROOT=${OTPSCOPE_TRIXIE_DIR:-/var/cache/otpscope/trixie}
PACKAGES="elixir erlang-dev erlang-runtime-tools erlang-tools"
READY="$CHROOT/.otpscope-ready"
MOUNTED=()

die() {
  echo "trixie-chroot: $*" >&2
  exit 1
}

default_mirror() {
  local uri
  uri=$(grep -hoE '^(URIs:|deb) +https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null |
    head -1 | awk '{print $2}') || true
  echo "${uri:-http://deb.debian.org/debian}"
}
MIRROR=${OTPSCOPE_DEBIAN_MIRROR:-$(default_mirror)}

unmount_all() {
  local i
  for ((i = ${#MOUNTED[@]} - 1; i >= 0; i--)); do
    umount -l "${MOUNTED[$i]}" 2>/dev/null || true
  done
  MOUNTED=()
}
trap unmount_all EXIT

# /proc for the runtime (erl_child_setup, os:cmd), /dev for /dev/null and
# /dev/urandom; the network stack is the host's, so epmd and -sname nodes work.
# A run that was killed may have left them mounted: mount only what is not.
mount_in() {
  local dir=$1
  if ! mountpoint -q "$dir/proc"; then
    mount -t proc proc "$dir/proc" && MOUNTED+=("$dir/proc")
  fi
  if ! mountpoint -q "$dir/dev"; then
    mount --bind /dev "$dir/dev" && MOUNTED+=("$dir/dev")
  fi
  cp /etc/hosts /etc/resolv.conf "$dir/etc/" 2>/dev/null || true
}

in_chroot() {
  local dir=$1
  shift
  env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/root LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=dumb DEBIAN_FRONTEND=noninteractive \
    chroot "$dir" "$@"
}

build() {
  if [ -f "$READY" ]; then
    echo "trixie chroot ready in $CHROOT ($(cat "$READY"))"
    return
  fi
  [ "$(id -u)" = 0 ] || die "building the chroot needs root (debootstrap, chroot)"
  command -v debootstrap >/dev/null 2>&1 || {
    echo "installing debootstrap"
    { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >/dev/null; } ||
      die "debootstrap is missing and apt-get install debootstrap failed"
  }
  local partial="$CHROOT.partial" start=$SECONDS
  rm -rf "$partial" "$CHROOT"
  mkdir -p "$partial"
  echo "debootstrap trixie into $partial from $MIRROR (once per machine; several minutes)"
  debootstrap --variant=minbase trixie "$partial" "$MIRROR" >"$partial.log" 2>&1 ||
    die "debootstrap failed, see $partial.log"
  mount_in "$partial"
  echo "installing $PACKAGES"
  in_chroot "$partial" apt-get install -y -q --no-install-recommends $PACKAGES >>"$partial.log" 2>&1 ||
    die "apt-get install in the chroot failed, see $partial.log"
  in_chroot "$partial" apt-get clean
  unmount_all
  local versions
  versions=$(in_chroot "$partial" sh -c 'erl -noshell -eval "io:put_chars(erlang:system_info(otp_release)), halt()." && echo -n " / " && elixir -e "IO.write(System.version())"')
  echo "OTP $versions" >"$partial/.otpscope-ready"
  mv "$partial" "$CHROOT"
  mv "$partial.log" "$CHROOT.log" 2>/dev/null || true
  echo "trixie chroot built in $((SECONDS - start)) s: OTP $versions, $(du -sh "$CHROOT" | cut -f1)"
}

# Copies dump_tool/ in (keeping the chroot's own _build between runs) and runs
# what the gate runs for the recorder on the host, except the format check:
# each Elixir version's formatter has its own opinions, and the host's 1.14
# formatter is the one the code is kept in.
run_suite() {
  [ "$(id -u)" = 0 ] || die "running the suite in the chroot needs root (chroot, mount)"
  local work="$CHROOT/work/dump_tool"
  mkdir -p "$work"
  find "$work" -mindepth 1 -maxdepth 1 ! -name _build -exec rm -rf {} +
  tar -C "$ROOT/dump_tool" --exclude=./_build --exclude=./deps -cf - . | tar -C "$work" -xf -
  mount_in "$CHROOT"
  echo "recorder suite on $(cat "$READY")"
  in_chroot "$CHROOT" sh -c 'cd /work/dump_tool && export MIX_ENV=test &&
    mix compile --warnings-as-errors && mix test --warnings-as-errors'
}

# ttb comes with erlang-observer, which the suite itself does not need.
ensure_ttb() {
  in_chroot "$CHROOT" sh -c 'erl -noshell -eval "halt(case code:which(ttb) of non_existing -> 1; _ -> 0 end)."' ||
    in_chroot "$CHROOT" apt-get install -y -q --no-install-recommends erlang-observer >/dev/null ||
    die "ttb is missing in the chroot and installing erlang-observer failed"
}

# The raw-trace fixtures of test/fixtures/gen-traces.sh, written by OTP 27: the
# same workload and BEAM-side facts, so the readers are checked against the
# files both OTP versions write (test/unit/dbg.test.ts, ttb.test.ts).
gen_traces() {
  local work="$CHROOT/work/gen-traces" out="$ROOT/test/fixtures/otp27"
  ensure_ttb
  rm -rf "$work" && mkdir -p "$work/out"
  cp "$ROOT/test/fixtures/otps_echo.erl" "$ROOT/test/fixtures/gen_traces.erl" "$work/"
  mount_in "$CHROOT"
  in_chroot "$CHROOT" sh -c 'cd /work/gen-traces && erlc otps_echo.erl gen_traces.erl && cd out &&
    erl -sname "otpscope_gen27_$$" -noshell -pa /work/gen-traces -eval "gen_traces:main([\".\"]), halt()."'
  rm -rf "$out" && mkdir -p "$out"
  cp -r "$work/out/dbg" "$work/out/ttb" "$out/"
  rm -rf "$work"
  echo "wrote $out ($(cat "$READY")): $(du -sh "$out" | cut -f1)"
}

# test/fixtures/raw/gen.sh's traces (every *.erl there), written by OTP 27 into
# test/fixtures/otp27/raw: the same workloads, as OTP 27's dbg and ttb write them.
gen_raw() {
  local work="$CHROOT/work/gen-raw" out="$ROOT/test/fixtures/otp27/raw"
  ensure_ttb
  rm -rf "$work" && mkdir -p "$work/out"
  cp "$ROOT"/test/fixtures/raw/*.erl "$work/"
  mount_in "$CHROOT"
  in_chroot "$CHROOT" sh -c 'cd /work/gen-raw && erlc *.erl && for m in *.beam; do
    erl -noshell -pa /work/gen-raw -eval "${m%.beam}:main([\"/work/gen-raw/out\"]), halt()." || exit 1; done'
  rm -rf "$out" && mkdir -p "$out"
  cp -r "$work"/out/* "$out/"
  rm -rf "$work"
  echo "wrote $out ($(cat "$READY")): $(du -sh "$out" | cut -f1)"
}

# test/fixtures/gen-terms.exs run by Elixir 1.18 on OTP 27: inspect/1 changed since
# 1.14 (charlists, invisible characters, Regex) and so did the order of small maps.
gen_terms() {
  local work="$CHROOT/work/gen-terms" out="$ROOT/test/fixtures/terms/elixir-1.18"
  rm -rf "$work" && mkdir -p "$work"
  cp "$ROOT/test/fixtures/gen-terms.exs" "$work/"
  mount_in "$CHROOT"
  in_chroot "$CHROOT" sh -c 'cd /work/gen-terms && OTPSCOPE_TERMS_DIR=/work/gen-terms/out elixir gen-terms.exs'
  rm -rf "$out" && mkdir -p "$out"
  cp "$work/out/terms.json" "$out/"
  rm -rf "$work"
  echo "wrote $out ($(cat "$READY"))"
}

case "${1:-test}" in
build) build ;;
test)
  build
  run_suite
  ;;
traces)
  build
  gen_traces
  ;;
raw)
  build
  gen_raw
  ;;
terms)
  build
  gen_terms
  ;;
shell)
  build
  mount_in "$CHROOT"
  in_chroot "$CHROOT" bash -c 'cd /work/dump_tool 2>/dev/null; exec bash'
  ;;
*) die "unknown command '$1' (build, test, traces, raw, terms or shell)" ;;
esac

#!/usr/bin/env bash
# Records two nodes as users attach to a cluster: node a calls node b (erpc, a GenServer by {name, node}) and the
# otpscope_record escript records `--cluster --node a@HOST`, each node into its own archive. The two recordings start
# and stop apart (each node's own duration), so calls in flight at one end are seen on one node only.
# Run on OTP 27 / Elixir 1.18 (scripts/trixie-chroot.sh shell), from dump_tool/ after `MIX_ENV=prod mix escript.build`:
#   bash ../test/scenarios/cluster_erpc/record.sh   ->  test/fixtures/scenarios/cluster-erpc-otp27-{a,b}.zip
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/../../fixtures/scenarios"
host=$(hostname -s)
epmd -daemon
elixir --sname b --cookie otpscope_erpc "$here/node_b.exs" &
b=$!
sleep 3
elixir --sname a --cookie otpscope_erpc "$here/node_a.exs" &
a=$!
trap 'kill $a $b' EXIT
sleep 8 # node a connected to b and calling
dir=$(mktemp -d)
./otpscope_record --cluster --node "a@$host" --cookie otpscope_erpc --duration 2s -o "$dir"
cp "$dir/a@$host.zip" "$out/cluster-erpc-otp27-a.zip"
cp "$dir/b@$host.zip" "$out/cluster-erpc-otp27-b.zip"
rm -rf "$dir"

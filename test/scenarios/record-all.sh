#!/usr/bin/env bash
# Records every scenario with the recorder in dump_tool/ and writes the
# archives to test/fixtures/scenarios/ (committed: the analyses tests assert
# exact answers on them, so re-recording means updating those answers).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
export OUT="$root/test/fixtures/scenarios"
mkdir -p "$OUT"
cd "$root/dump_tool"
for s in call_chain_timeout crash_restart mailbox_flood gen_statem start_states line_snapshots name_resolution call_timeout cast_burst charlists compare_runs source_paths huge_states huge_switch structs max_events inspect_order term_corpus callback_replies alias_replies state_enter statem_flow recorder_drops gen_event_calls wide_group supervisors arrow_flood process_names receive_edges otp_services taken_names otp_idioms span_drops app_stops app_faults; do
  echo "recording $s"
  mix run "$here/$s.exs"
done
echo "recording cross_node (two nodes)"
elixir --sname "scn_a_$$" -S mix run "$here/cross_node.exs"
echo "recording remote_edges (two nodes)"
elixir --sname "scn_edges_$$" -S mix run "$here/remote_edges.exs"
echo "recording node_down (two recorded nodes, one halts)"
elixir --sname scn_nodedown -S mix run "$here/node_down.exs"
echo "recording call_down (a peer node)"
elixir --sname scn_down -S mix run "$here/call_down.exs"
echo "recording call_forms (a peer node)"
elixir --sname scn_forms -S mix run "$here/call_forms.exs"
echo "recording multi_call_missing (a peer node)"
elixir --sname scn_missing -S mix run "$here/multi_call_missing.exs"
echo "recording signals (a peer node, single time warp mode for the time offset's change)"
elixir --erl "+C single_time_warp" --sname scn_signals -S mix run "$here/signals.exs"
# charlists-1.18.zip, inspect-order-1.18.zip and term-corpus-1.18.zip come from the same scenarios run by Elixir 1.18 / OTP 27
# (scripts/trixie-chroot.sh shell, then: NAME=inspect-order-1.18.zip OUT=... mix run test/scenarios/inspect_order.exs);
# term-corpus-1.18.zip likewise (NAME=term-corpus-1.18.zip OUT=... mix run test/scenarios/term_corpus.exs);
# call-down-otp27.zip likewise (NAME=call-down-otp27.zip OUT=... elixir --sname scn_down27 -S mix run test/scenarios/call_down.exs);
# signals-otp27.zip likewise (NAME=signals-otp27.zip OUT=... elixir --erl "+C single_time_warp" --sname scn_signals27 -S mix run test/scenarios/signals.exs).
# call-forms-otp27.zip likewise (NAME=call-forms-otp27.zip OUT=... elixir --sname scn_forms27 -S mix run test/scenarios/call_forms.exs).
# gen-event-calls-otp27.zip likewise (NAME=gen-event-calls-otp27.zip OUT=... mix run test/scenarios/gen_event_calls.exs).
# elixir-workloads-otp27.zip only there (Duration needs Elixir 1.17+): OUT=... mix run test/scenarios/elixir_workloads.exs.
# supervisors-otp27.zip likewise (NAME=supervisors-otp27.zip OUT=... mix run test/scenarios/supervisors.exs).
# multi-call-missing-otp27.zip likewise (NAME=multi-call-missing-otp27.zip OUT=... elixir --sname scn_missing27 -S mix run test/scenarios/multi_call_missing.exs).
# receive-edges-otp27.zip likewise (NAME=receive-edges-otp27.zip OUT=... mix run test/scenarios/receive_edges.exs).
# huge-switch-otp27.zip likewise (NAME=huge-switch-otp27.zip OUT=... mix run test/scenarios/huge_switch.exs).
# statem-flow-otp27.zip likewise (NAME=statem-flow-otp27.zip OUT=... mix run test/scenarios/statem_flow.exs).
# process-names-otp27.zip likewise (NAME=process-names-otp27.zip OUT=... mix run test/scenarios/process_names.exs; proc_lib labels need OTP 27).
# taken-names-otp27.zip likewise (NAME=taken-names-otp27.zip OUT=... mix run test/scenarios/taken_names.exs).
# otp-idioms-otp27.zip likewise (NAME=otp-idioms-otp27.zip OUT=... mix run test/scenarios/otp_idioms.exs).
# app-stops-otp27.zip and app-faults-otp27.zip likewise (NAME=app-stops-otp27.zip OUT=... mix run test/scenarios/app_stops.exs; NAME=app-faults-otp27.zip ... app_faults.exs).
echo "recording the Erlang scenarios (erlc, erl)"
bash "$here/erlang.sh" "$OUT"
echo "recording day_runs (two nodes, three runs of each: six archives)"
for r in 1 2 3; do RUN=$r elixir --sname runs_a -S mix run "$here/day_runs.exs"; done
ls -l "$OUT"

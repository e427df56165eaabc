#!/usr/bin/env bash
# Load comparison of gox against the library underneath it, in one run:
#   /ping and POST /echo: bare gin vs gox (wrk)
#   /ping:                gin with its own Recovery+Logger to a file vs gox
#   unary echo:           bare grpc-go vs gox (cmd/grpcload)
#   POST /v1/fields/{name}: gox's route generated from a google.api.http rule
#                         vs the same route hand-written with xhttp.JSON
# gox runs two chains: the issue's ("recovery, request id, access log to a
# file, metrics, tracing off") and the scaffold's, which adds the timeout and
# metadata propagation.
#
# Method. Both servers of a scenario are up at once, pinned to CPU 0; the
# load generator, pinned to CPU 1, alternates between them in short runs
# (PAIRS pairs of SECONDS each, the order flipping every pair). The two runs
# of a pair are a second or two apart, so their ratio cancels the machine's
# drift, which on a shared VM moves bare gin by ±30% within a minute. Both
# servers restart with fresh log files every RESTART pairs, so that the
# throughput rows compare the chain and not a log rotation; the last row
# ("through log rotations") never restarts, so gox's 100 MB access log
# rotates (and its backup is compressed) under load, as in a real service.
# Reported per scenario: the median req/s of each side, the ratio of those
# medians, and the median of the paired ratios with its interquartile range
# (the figure to read), and their mean with its standard error (how far the
# figure may be from what more pairs would give: ±2 SE). A second table
# gives latency: the median over runs of each side's p50 and p99 (from wrk
# --latency, or grpcload), each side's worst p99, and the median of the
# paired p99 ratios. For the rotation row, runs long enough to rotate the
# 100 MB file in each of them (SECONDS=10 at ~40k req/s) make its median
# p99 include a rotation.
#   bash bench/load.sh [SECONDS=2] [PAIRS=15]
# Env: RESTART=4 (pairs between restarts); ONLY=REGEX runs the scenarios whose
# name matches (e.g. ONLY='ping, issue'); CONNS=50 connections (wrk) or
# concurrent calls (gRPC) the load generator keeps open; GOXBIN=path runs the
# gox side on another build of cmd/server (before/after a change).
# Loopback only; every run is bounded in time.
set -euo pipefail
cd "$(dirname "$0")"
D=${1:-2}; PAIRS=${2:-15}; RESTART=${RESTART:-4}; CONNS=${CONNS:-50}
OUT=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$OUT"' EXIT
go build -o "$OUT/server" ./cmd/server
GOXBIN=${GOXBIN:-$OUT/server}
go build -o "$OUT/grpcload" ./cmd/grpcload
command -v wrk >/dev/null || { echo "wrk not found: apt-get install wrk" >&2; exit 1; }

SERVERS=()
serve() { # serve MODE[:CHAIN] PORT: start pinned with a fresh log file, wait until it accepts
  local mode=${1%%:*} chain=default
  [[ $1 == *:* ]] && chain=${1#*:}
  rm -f "$OUT/access-$2"*
  local bin=$OUT/server; [[ $mode == gox* ]] && bin=$GOXBIN
  taskset -c 0 "$bin" -mode "$mode" -chain "$chain" -addr "127.0.0.1:$2" -log "$OUT/access-$2.log" &
  SERVERS+=($!)
  for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/"$2") 2>/dev/null && return 0; sleep 0.05; done
  echo "server $1 did not start" >&2; return 1
}
stop_all() { (( ${#SERVERS[@]} )) && kill "${SERVERS[@]}" 2>/dev/null; wait "${SERVERS[@]}" 2>/dev/null || true; SERVERS=(); }

rate() { # rate KIND PORT SECONDS [PATH [LUA]]: one run's "requests/s p50_ms p99_ms"
  local kind=$1 port=$2 secs=$3
  if [[ $kind == grpc ]]; then
    taskset -c 1 "$OUT/grpcload" -addr "127.0.0.1:$port" -c "$CONNS" -d "${secs}s" |
      awk '/requests\/s/ {r = $2} /^p50/ {p50 = $2 + 0} /^p99/ {p99 = $2 + 0} END {print r, p50, p99}'
    return
  fi
  local lua=(); [[ -n "${5:-}" ]] && lua=(-s "$5")
  taskset -c 1 wrk -t1 -c"$CONNS" -d"${secs}s" --latency "${lua[@]}" "http://127.0.0.1:$port$4" | awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v + 0 }
    /Requests\/sec/ {r = $2} $1 == "50%" {p50 = ms($2)} $1 == "99%" {p99 = ms($2)} END {print r, p50, p99}'
}
quantile() { sort -g | awk -v q="$1" '{a[NR]=$1} END {i=int(q*(NR-1)+1.5); print a[i]}'; }

run() { # run NAME BASE_MODE GOX_MODE KIND [PATH [LUA]]
  local name=$1 base=$2 gox=$3 kind=$4; shift 4
  [[ -z "${ONLY:-}" || $name =~ ${ONLY} ]] || return 0
  local id=${name//[^a-zA-Z0-9]/_} restart=$RESTART
  [[ $name == *rotations* ]] && restart=$((PAIRS + 1))
  : >"$OUT/$id.base"; : >"$OUT/$id.gox"; : >"$OUT/$id.ratio"; : >"$OUT/$id.lat"
  for p in $(seq "$PAIRS"); do
    if (( (p - 1) % restart == 0 )); then
      stop_all
      serve "$base" 18081; serve "$gox" 18082
      rate "$kind" 18081 1 "$@" >/dev/null; rate "$kind" 18082 1 "$@" >/dev/null # warm up
    fi
    local b g
    if (( p % 2 )); then b=$(rate "$kind" 18081 "$D" "$@"); g=$(rate "$kind" 18082 "$D" "$@")
    else g=$(rate "$kind" 18082 "$D" "$@"); b=$(rate "$kind" 18081 "$D" "$@"); fi
    echo "$b" >>"$OUT/$id.lat.base"; echo "$g" >>"$OUT/$id.lat.gox"
    b=${b%% *}; g=${g%% *}
    echo "$b" >>"$OUT/$id.base"; echo "$g" >>"$OUT/$id.gox"
    awk -v g="$g" -v b="$b" 'BEGIN {print 100*g/b}' >>"$OUT/$id.ratio"
  done
  local rotated; rotated=$(find "$OUT" -name 'access-18082-*' | wc -l)
  stop_all
  local bm gm
  bm=$(quantile 0.5 <"$OUT/$id.base"); gm=$(quantile 0.5 <"$OUT/$id.gox")
  printf '| %s | %s: %.0f | gox: %.0f | %.1f%% | %.1f%% | %.1f–%.1f%% | %s |\n' "$name" "$base" "$bm" "$gm" \
    "$(awk -v g="$gm" -v b="$bm" 'BEGIN {print 100*g/b}')" \
    "$(quantile 0.5 <"$OUT/$id.ratio")" "$(quantile 0.25 <"$OUT/$id.ratio")" "$(quantile 0.75 <"$OUT/$id.ratio")" \
    "$(awk '{s += $1; ss += $1*$1} END {m = s/NR; v = NR > 1 ? (ss - NR*m*m)/(NR-1) : 0; printf "%.1f ± %.1f%%", m, sqrt(v > 0 ? v : 0)/sqrt(NR)}' "$OUT/$id.ratio")"
  # latency: each side's median p50 and p99 over its runs, the paired p99 ratios
  col() { awk -v c="$1" '{print $c}' "$2"; }
  paste -d' ' "$OUT/$id.lat.base" "$OUT/$id.lat.gox" | awk '{print 100*$6/$3}' >"$OUT/$id.p99ratio"
  printf '| %s | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.0f%% (%.0f–%.0f%%) | %s |\n' "$name" \
    "$(col 2 "$OUT/$id.lat.base" | quantile 0.5)" "$(col 2 "$OUT/$id.lat.gox" | quantile 0.5)" \
    "$(col 3 "$OUT/$id.lat.base" | quantile 0.5)" "$(col 3 "$OUT/$id.lat.gox" | quantile 0.5)" \
    "$(col 3 "$OUT/$id.lat.base" | quantile 1)" "$(col 3 "$OUT/$id.lat.gox" | quantile 1)" \
    "$(quantile 0.5 <"$OUT/$id.p99ratio")" "$(quantile 0.25 <"$OUT/$id.p99ratio")" "$(quantile 0.75 <"$OUT/$id.p99ratio")" \
    "$rotated" >>"$OUT/latency"
  # the pairs themselves, for the record
  paste -d' ' "$OUT/$id.base" "$OUT/$id.gox" | awk -v n="$name" 'NR==1 {printf "- %s:", n} {printf " %.0f/%.0f", $1, $2} END {print ""}' >>"$OUT/pairs"
}

echo "Load: $CONNS connections, $PAIRS pairs of ${D}s runs."
echo
echo "| scenario | baseline req/s (median) | gox req/s (median) | ratio of medians | median of paired ratios | their IQR | their mean ± standard error |"
echo "|---|---|---|---|---|---|---|"
run "GET /ping, issue chain" gin gox:issue http /ping
run "GET /ping, scaffold chain" gin gox http /ping
run "GET /ping, baseline with gin.Logger" ginlog gox http /ping
run "POST /echo (JSON), issue chain" gin gox:issue http /echo "$PWD/echo.lua"
run "POST /echo (JSON), scaffold chain" gin gox http /echo "$PWD/echo.lua"
run "POST /v1/fields/{name}: generated from google.api.http (gox) vs hand-written xhttp.JSON (baseline), scaffold chain" goxhand goxrule http /v1/fields/title "$PWD/field.lua"
run "gRPC unary echo, issue chain" grpc goxgrpc:issue grpc
run "gRPC unary echo, scaffold chain" grpc goxgrpc grpc
run "GET /ping, scaffold chain, through log rotations" gin gox http /ping
echo
echo "Latency (ms; medians over the runs of each side):"
echo
echo "| scenario | baseline p50 | gox p50 | baseline p99 | gox p99 | baseline p99, worst run | gox p99, worst run | gox p99 / baseline p99 (median of pairs, IQR) | gox log backups at the end |"
echo "|---|---|---|---|---|---|---|---|---|"
cat "$OUT/latency" 2>/dev/null || true
echo
echo "Pairs (baseline/gox req/s), in the order above:"
cat "$OUT/pairs"

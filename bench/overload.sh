#!/usr/bin/env bash
# Overload: an open-loop sweep of servers whose one route, GET /work, is ~1 ms
# of CPU (cmd/overloadserver), side by side in one run:
#   gox      the gox HTTP server with the scaffold's chain less governance
#   goxgov   the same with gox's governance middleware (default config)
#            right after the timeout middleware, as the scaffold places it
#   gozero   go-zero's rest server with its defaults (adaptive shedder on)
# Method. Each server has one core (CPU 1, taskset; or CPUS=quota below), the
# generator (cmd/overload) the other. Capacity C is the goodput of the
# unprotected gox server under a closed loop (16 connections, 5 s). Then
# each step offers 0.5, 1, 2, 3 and 5 × C open loop (requests sent on
# schedule whatever the answers; a slow server gets more connections, up to
# 6000; see cmd/overload) for STEP seconds to each server in turn, the order
# rotating every step, each request with a 500 ms deadline that gox reads in
# X-Gox-Timeout. Before each run the script waits until every server's CPU has
# been under 5% for 0.3 s (the work left from the runs before, at most 30 s
# each: pinned, the servers share a core).
# "server CPU" is its share of a CPU while the generator ran (the step, and
# up to a deadline more for the last answers).
# Last, after 10 s of rest, recovery: per server, 0.5 × C for 5 s (the idle p99), 3 × C for 10 s,
# then 0.5 × C for 10 s, and how long after the drop a 200 ms window of
# requests (by due time) has a p99 within 2× the idle p99 again (anything but
# a 2xx in time counts as infinitely slow): "recovered" when the first such
# window ends, "settled" when the one ends after which all are good.
#   bash bench/overload.sh [STEP=10]
# Env: CPUS=pin (default: taskset -c 1) | quota (a cgroup with a quota of one
# CPU per server, not pinned; root, cgroup v1 or v2); MODES="gox goxgov
# gozero" (gox is started in any case: C is measured on it); QUEUE_DELAY=5ms sets
# goxgov's shedding.queue_delay (default: governance's); ITERS=SHA-256 rounds per
# request (default: the server's, ~1 ms); TIMEOUT=500ms; NICE=0 (root: NICE=-10
# runs servers and generator ahead of the host's other processes, which on a
# shared host otherwise take half the server's core and delay the generator
# by 100s of ms: see the "server CPU" and "generator lag" columns); RAW=DIR keeps the raw
# lines, the recovery runs' timelines (per 100 ms) and the servers' stderr.
# Loopback only; every run is bounded in time; raw lines go to stderr.
set -euo pipefail
cd "$(dirname "$0")"
STEP=${1:-10}; CPUS=${CPUS:-pin}; MODES=${MODES:-gox goxgov gozero}; TIMEOUT=${TIMEOUT:-500ms}; NICE=${NICE:-0}
OUT=$(mktemp -d); PIDS=(); CGS=()
cleanup() {
  (( ${#PIDS[@]} )) && kill "${PIDS[@]}" 2>/dev/null; wait 2>/dev/null || true
  for cg in "${CGS[@]}"; do for _ in 1 2 3 4 5; do rmdir "$cg" 2>/dev/null && break; sleep 0.2; done; done
  rm -rf "$OUT"
}
trap cleanup EXIT
go build -o "$OUT/overload" ./cmd/overload
go build -o "$OUT/server" ./cmd/overloadserver
read -r -a MODES <<<"$MODES"
declare -A PORT=([gox]=18091 [goxgov]=18092 [gozero]=18093) PID=()
ITERFLAG=(); [[ -n "${ITERS:-}" ]] && ITERFLAG=(-iters "$ITERS")

cgroup() { # cgroup NAME: a cgroup with one CPU of quota, its procs file in CGPROCS (no subshell: CGS must grow)
  local g
  if [[ -f /sys/fs/cgroup/cgroup.controllers ]]; then # v2
    grep -qw cpu /sys/fs/cgroup/cgroup.subtree_control || echo +cpu >/sys/fs/cgroup/cgroup.subtree_control
    g=/sys/fs/cgroup/$1; mkdir -p "$g"; echo "100000 100000" >"$g/cpu.max"
  else # v1
    g=/sys/fs/cgroup/cpu/$1; mkdir -p "$g"; echo 100000 >"$g/cpu.cfs_period_us"; echo 100000 >"$g/cpu.cfs_quota_us"
  fi
  CGS+=("$g"); CGPROCS=$g/cgroup.procs
}
serve() { # serve MODE
  local m=$1 p=${PORT[$1]} args
  args=(-mode "$m" -addr "127.0.0.1:$p" -log "$OUT" "${ITERFLAG[@]}")
  [[ $m == gozero ]] && args+=(-cpulog 250ms)
  [[ $m == goxgov && -n "${QUEUE_DELAY:-}" ]] && args+=(-queue-delay "$QUEUE_DELAY")
  if [[ $CPUS == quota ]]; then
    cgroup "goxovl-$$-$p"
    nice -n "$NICE" sh -c 'echo $$ >"$0"; exec "$@"' "$CGPROCS" "$OUT/server" "${args[@]}" >"$OUT/$m.out" 2>"$OUT/$m.err" &
  else
    nice -n "$NICE" taskset -c 1 "$OUT/server" "${args[@]}" >"$OUT/$m.out" 2>"$OUT/$m.err" &
  fi
  PID[$m]=$!; PIDS+=($!)
  for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/"$p") 2>/dev/null && return 0; sleep 0.05; done
  echo "server $m did not start: $(cat "$OUT/$m.err")" >&2; return 1
}
quiesceAll() { local p; for p in "${PID[@]}"; do quiesce "$p"; done; }
ticks() { awk '{print $14 + $15}' /proc/"$1"/stat; } # CPU time, 1/100 s
quiesce() { # quiesce PID: until its CPU stays under 5% for 0.3 s, at most 30 s
  local t0=$SECONDS a b
  sleep 0.5
  while (( SECONDS - t0 < 30 )); do
    a=$(ticks "$1"); sleep 0.3; b=$(ticks "$1")
    (( b - a <= 1 )) && { (( SECONDS - t0 > 2 )) && echo "quiesce: pid $1 busy for ~$((SECONDS - t0)) s" >&2; return 0; }
  done
  echo "note: pid $1 still busy after 30 s" >&2
}
gen() { nice -n "$NICE" taskset -c 0 "$OUT/overload" -timeout "$TIMEOUT" "$@"; }
kv() { tr ' ' '\n' | awk -F= -v k="$1" '$1 == k {print $2}'; } # kv KEY <line

for m in "${MODES[@]}"; do serve "$m"; done
[[ -n "${PID[gox]:-}" ]] || serve gox # capacity is measured on it
UP0=$(uptime)
# capacity: the unprotected gox server, closed loop (1 s of warm-up first);
# with its CPU time, what one CPU-second of it serves (CAPCPU)
gen -addr "127.0.0.1:${PORT[gox]}" -closed 16 -d 1s >/dev/null
k0=$(ticks "${PID[gox]}")
CAPLINE=$(gen -addr "127.0.0.1:${PORT[gox]}" -closed 16 -d 5s)
CAPT=$(($(ticks "${PID[gox]}") - k0))
echo "capacity: $CAPLINE servercpu=$CAPT/500" >&2
CAP=$(kv goodput <<<"$CAPLINE"); CAP=${CAP%.*}
(( CAP > 0 )) || { echo "capacity 0" >&2; exit 1; }
CAPCPU=$(awk -v c="$CAP" -v t="$CAPT" 'BEGIN {printf "%.0f", c * 500 / (t > 0 ? t : 1)}')

: >"$OUT/steps"
n=${#MODES[@]}; k=0
for x in 0.5 1 2 3 5; do
  rate=$(awk -v c="$CAP" -v x="$x" 'BEGIN {printf "%d", c * x}')
  for i in $(seq 0 $((n - 1))); do
    m=${MODES[$(((i + k) % n))]}
    quiesceAll # the servers share a core: one still working off its backlog would take it from the next
    c0=$(ticks "${PID[$m]}"); t0=$(date +%s%N); g0=$(wc -l <"$OUT/$m.err")
    line=$(gen -addr "127.0.0.1:${PORT[$m]}" -plan "${rate}x${STEP}s" | grep '^phase=0')
    c1=$(ticks "${PID[$m]}"); t1=$(date +%s%N)
    cpu=$(awk -v a="$c0" -v b="$c1" -v t="$((t1 - t0))" 'BEGIN {printf "%.0f", (b - a) * 1e9 / t}') # % of a CPU while the generator ran
    zc=-; [[ $m == gozero ]] && zc=$(tail -n +"$((g0 + 1))" "$OUT/$m.err" | awk -F'cpu=' '/gozero-cpu/ {s += $2; n++} END {if (n) printf "%.0f", s / n; else print "-"}')
    echo "$m x=$x $line servercpu=$cpu gozerocpu=$zc" >&2
    echo "$m $x $line servercpu=$cpu gozerocpu=$zc" >>"$OUT/steps"
  done
  k=$((k + 1))
done

: >"$OUT/recovery"
sleep 10 # past the 5 s and 10 s windows of the shedders and breakers the 5× step filled
half=$(awk -v c="$CAP" 'BEGIN {printf "%d", c * 0.5}'); three=$((CAP * 3))
for m in "${MODES[@]}"; do
  quiesceAll
  out=$(gen -addr "127.0.0.1:${PORT[$m]}" -plan "${half}x5s,${three}x10s,${half}x10s" -recover -timeline "$OUT/timeline-$m")
  echo "$m recovery: $(tr '\n' ' ' <<<"$out")" >&2
  echo "$m $(grep '^phase=1' <<<"$out") $(grep '^phase=2' <<<"$out" | sed 's/\([a-z_0-9]*\)=/after_\1=/g') $(grep '^recovery' <<<"$out")" >>"$OUT/recovery"
done
UP1=$(uptime)

echo "Capacity C = $CAP req/s (unprotected gox, closed loop: $CAPLINE; it had $((CAPT / 5))% of a CPU over 5 s, so one CPU-second serves $CAPCPU). Steps of ${STEP} s, deadline $TIMEOUT, CPUS=$CPUS, NICE=$NICE."
echo "uptime before: $UP0"
echo "uptime after:  $UP1"
echo
echo "Useful CPU: goodput / (server CPU × $CAPCPU per CPU-second), the share of the CPU the server had that went into answers in time (not into work whose client had gone, shed answers or the chain); the host's other load changes the CPU a server gets, not this."
echo
echo "| server | offered | goodput req/s | goodput % of C | shed/s (429, 503) | timeouts/s | conn. errors/s | other status/s | 2xx p50 ms | 2xx p99 ms | server CPU | useful CPU | generator lag p99 ms |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
for x in 0.5 1 2 3 5; do
  for m in "${MODES[@]}"; do
    awk -v m="$m" -v x="$x" -v cap="$CAP" -v capcpu="$CAPCPU" -v s="$STEP" '$1 == m && $2 == x {
      for (i = 3; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
      zc = v["gozerocpu"] == "-" ? "" : sprintf(" (go-zero reads %.0f%%)", v["gozerocpu"] / 10)
      printf "| %s | %s× (%s/s) | %.0f | %.0f%% | %.0f | %.0f | %.0f | %.0f | %s | %s | %s%%%s | %.0f%% | %s |\n", m, x, v["rate"], v["goodput"],
        100 * v["goodput"] / cap, v["shed"], v["timeouts"] / s, (v["connerr"] + v["noconn"]) / s, v["other"] / s,
        v["p50_ms"], v["p99_ms"], v["servercpu"], zc, 100 * v["goodput"] / (v["servercpu"] / 100 * capcpu + 1e-9), v["lag_p99_ms"] }' "$OUT/steps"
  done
done
echo
echo "Recovery: 0.5×C for 5 s, 3×C for 10 s, 0.5×C for 10 s; times from the drop to 0.5×C, when the first 200 ms window whose p99 is within 2× the idle 2xx p99 ends (anything but a 2xx in time counting as infinitely slow; in the 2xx-alone column, only the 2xx count)."
echo
echo "| server | idle 2xx p99 ms | limit (2×) ms | recovered after ms | settled after ms | bad windows after the drop (of 981) | bad windows while idle (of 481: noise) | 2xx alone: recovered after ms | goodput in the spike (% of C) | goodput after the drop (% of 0.5×C) |"
echo "|---|---|---|---|---|---|---|---|---|---|"
awk -v cap="$CAP" '{
  delete v; for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
  printf "| %s | %s | %s | %s | %s | %s | %s | %s | %.0f%% | %.0f%% |\n", $1, v["idle_p99_ms"], v["limit_ms"], v["recovered_ms"], v["settled_ms"],
    v["bad_windows"], v["idle_bad_windows"], v["recovered_2xx_ms"], 100 * v["goodput"] / cap, 100 * v["after_goodput"] / v["after_rate"] }' "$OUT/recovery"
if [[ -n "${RAW:-}" ]]; then mkdir -p "$RAW"; cp "$OUT"/steps "$OUT"/recovery "$OUT"/timeline-* "$OUT"/*.err "$RAW"/ 2>/dev/null || true; fi

#!/usr/bin/env bash
# Server CPU time per request at a fixed request rate, two servers side by
# side: what a change costs or saves, without load.sh's feedback (a slower
# saturated server leaves the load generator idle more often, and waking it
# costs the server more). Each round runs cmd/rategen against A and B in turn
# (the order flipping every round) and reads each server's CPU time from
# /proc/PID/task/*/schedstat before and after.
#   bash bench/cpu.sh SPEC_A SPEC_B [ROUNDS=10] [RATE=20000] [SECONDS=3]
# SPEC is MODE:CHAIN as for cmd/server (gin:none, gox:issue), optionally
# BINARY@MODE:CHAIN to compare two builds of cmd/server (e.g. before and
# after a change). Server on CPU 0, rategen on CPU 1, loopback only.
set -euo pipefail
cd "$(dirname "$0")"
A=$1; B=$2; N=${3:-10}; R=${4:-20000}; D=${5:-3}
OUT=$(mktemp -d); PA=; PB=
trap 'kill $PA $PB 2>/dev/null || true; rm -rf "$OUT"' EXIT
go build -o "$OUT/server" ./cmd/server
go build -o "$OUT/rategen" ./cmd/rategen
start() { # start SPEC PORT: prints the pid once the server accepts
  local spec=$1 bin=$OUT/server
  [[ $spec == *@* ]] && { bin=${spec%%@*}; spec=${spec#*@}; }
  local mode=${spec%%:*} chain=${spec#*:}
  taskset -c 0 "$bin" -mode "$mode" -chain "$chain" -addr "127.0.0.1:$2" -log "$OUT/access-$2.log" >&2 &
  local pid=$!
  for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/"$2") 2>/dev/null && { echo "$pid"; return 0; }; sleep 0.05; done
  echo "server $1 did not start" >&2; return 1
}
cpu() { cat /proc/"$1"/task/*/schedstat | awk '{s += $1} END {print s}'; } # ns on CPU, all threads
one() { # one PID PORT: µs of server CPU per answered request
  local c0 n c1
  c0=$(cpu "$1"); n=$(taskset -c 1 "$OUT/rategen" -addr "127.0.0.1:$2" -rate "$R" -d "${D}s"); c1=$(cpu "$1")
  awk -v a="$c0" -v b="$c1" -v n="$n" 'BEGIN {printf "%.2f", (b - a) / n / 1000}'
}
PA=$(start "$A" 18081); PB=$(start "$B" 18082)
one "$PA" 18081 >/dev/null; one "$PB" 18082 >/dev/null # warm up
: >"$OUT/a"; : >"$OUT/b"; : >"$OUT/r"
for i in $(seq "$N"); do
  if (( i % 2 )); then a=$(one "$PA" 18081); b=$(one "$PB" 18082); else b=$(one "$PB" 18082); a=$(one "$PA" 18081); fi
  echo "$a" >>"$OUT/a"; echo "$b" >>"$OUT/b"; awk -v a="$a" -v b="$b" 'BEGIN {print 100 * b / a}' >>"$OUT/r"
done
med() { sort -g "$1" | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
echo "A $A: $(paste -sd' ' "$OUT/a") µs/request"
echo "B $B: $(paste -sd' ' "$OUT/b") µs/request"
printf 'median A %s, B %s µs/request; median of paired B/A %.1f%%\n' "$(med "$OUT/a")" "$(med "$OUT/b")" "$(med "$OUT/r")"

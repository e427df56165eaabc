#!/usr/bin/env bash
# Load comparison of gox against the library underneath it, in one run:
#   /ping and POST /echo: bare gin vs gox (wrk)
#   /ping:                gin with its own Recovery+Logger to a file vs gox
#   unary echo:           bare grpc-go vs gox (cmd/grpcload)
# gox runs two chains: the issue's ("recovery, request id, access log to a
# file, metrics, tracing off") and the scaffold's, which adds the timeout.
# The server is pinned to CPU 0 and the load generator to CPU 1 (taskset).
# Rounds alternate the order of the two servers. Reported: the median req/s of
# each side, their ratio, and the median of the per-round ratios (the figure
# to read on a noisy machine: each round's two runs are seconds apart).
#   bash bench/load.sh [SECONDS_PER_RUN=10] [ROUNDS=3]
# Loopback only; every run is bounded in time.
set -euo pipefail
cd "$(dirname "$0")"
D=${1:-10}; ROUNDS=${2:-3}
OUT=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$OUT"' EXIT
go build -o "$OUT/server" ./cmd/server
go build -o "$OUT/grpcload" ./cmd/grpcload
command -v wrk >/dev/null || { echo "wrk not found: apt-get install wrk" >&2; exit 1; }

serve() { # serve MODE[:CHAIN] ADDR: start pinned with a fresh log file, wait until it accepts
  local mode=${1%%:*} chain=default
  [[ $1 == *:* ]] && chain=${1#*:}
  rm -f "$OUT/access-$mode"*
  taskset -c 0 "$OUT/server" -mode "$mode" -chain "$chain" -addr "$2" -log "$OUT/access-$mode.log" &
  SERVER=$!
  for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/"${2##*:}") 2>/dev/null && return 0; sleep 0.05; done
  echo "server $1 did not start" >&2; return 1
}
stop() { kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; }

http_rate() { # http_rate MODE PATH [LUA]
  serve "$1" 127.0.0.1:18080
  local lua=(); [[ -n "${3:-}" ]] && lua=(-s "$3")
  taskset -c 1 wrk -t1 -c50 -d2s "${lua[@]}" "http://127.0.0.1:18080$2" >/dev/null # warm up
  taskset -c 1 wrk -t1 -c50 -d"${D}s" "${lua[@]}" "http://127.0.0.1:18080$2" | awk '/Requests\/sec/ {print $2}'
  stop
}
grpc_rate() { # grpc_rate MODE
  serve "$1" 127.0.0.1:18090
  taskset -c 1 "$OUT/grpcload" -addr 127.0.0.1:18090 -c 50 -d 2s >/dev/null
  taskset -c 1 "$OUT/grpcload" -addr 127.0.0.1:18090 -c 50 -d "${D}s" | awk '/requests\/s/ {print $2}'
  stop
}
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

run() { # run NAME BASE_MODE GOX_MODE KIND PATH [LUA]
  local name=$1 base=$2 gox=$3 kind=$4; shift 4
  local id=${name//[^a-zA-Z0-9]/_}
  : >"$OUT/$id.base"; : >"$OUT/$id.gox"
  for r in $(seq "$ROUNDS"); do
    local order=("$base" "$gox"); (( r % 2 == 0 )) && order=("$gox" "$base")
    for m in "${order[@]}"; do
      local f="$OUT/$id.base"; [[ $m == "$gox" ]] && f="$OUT/$id.gox"
      if [[ $kind == http ]]; then http_rate "$m" "$@" >>"$f"; else grpc_rate "$m" >>"$f"; fi
    done
  done
  local b g r; b=$(median <"$OUT/$id.base"); g=$(median <"$OUT/$id.gox")
  # paired: the two runs of a round are seconds apart, so their ratio cancels
  # most of the machine's slow drift; the median of those ratios is the figure
  r=$(paste "$OUT/$id.gox" "$OUT/$id.base" | awk '{print 100*$1/$2}' | median)
  printf '| %s | %s: %.0f | gox: %.0f | %.1f%% | %.1f%% |\n' "$name" "$base" "$b" "$g" \
    "$(awk -v g="$g" -v b="$b" 'BEGIN {print 100*g/b}')" "$r"
}

echo "| scenario | baseline req/s (median) | gox req/s (median) | ratio of medians | median of paired ratios |"
echo "|---|---|---|---|---|"
run "GET /ping, issue chain" gin gox:issue http /ping
run "GET /ping, scaffold chain" gin gox http /ping
run "GET /ping, baseline with gin.Logger" ginlog gox http /ping
run "POST /echo (JSON), issue chain" gin gox:issue http /echo "$PWD/echo.lua"
run "POST /echo (JSON), scaffold chain" gin gox http /echo "$PWD/echo.lua"
run "gRPC unary echo, issue chain" grpc goxgrpc:issue grpc
run "gRPC unary echo, scaffold chain" grpc goxgrpc grpc

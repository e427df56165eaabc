# Sourced by scripts/test.sh after ci/lib.sh; the binary is built by build_tools (ci/tools.sh)
# from tools/consul (Consul 1.22.7 from the Go module proxy; go install @v fails on its replaces).
# --- Consul dev agent: one in-memory server, every listener off its default port, loopback only ---
start_consul() {
  CONSUL_HTTP_PORT=${CONSUL_HTTP_PORT:-18500}
  local d="$SVC_TMP/consul"; mkdir -p "$d"
  consul agent -dev -node ci -bind 127.0.0.1 -client 127.0.0.1 -advertise 127.0.0.1 \
    -http-port "$CONSUL_HTTP_PORT" -dns-port -1 -grpc-port "${CONSUL_GRPC_PORT:-18502}" -grpc-tls-port -1 \
    -server-port "${CONSUL_SERVER_PORT:-18300}" -serf-lan-port "${CONSUL_SERF_LAN_PORT:-18301}" \
    -serf-wan-port "${CONSUL_SERF_WAN_PORT:-18302}" \
    -log-level warn -disable-host-node-id >"$d/consul.log" 2>&1 &
  CONSUL_PID=$!
  CLEANUP+=("stop_pid $CONSUL_PID 20")
  # ready = a leader is elected (status/leader returns an address)
  wait_until 60 bash -c "curl -sf http://127.0.0.1:$CONSUL_HTTP_PORT/v1/status/leader | grep -q 127.0.0.1"
  export CONSUL_HTTP_ADDR=127.0.0.1:$CONSUL_HTTP_PORT
}

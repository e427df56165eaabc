# Sourced by scripts/test.sh after ci/lib.sh; the package is installed by install_apt (ci/tools.sh).
# --- NATS 2.9 with JetStream (Debian nats-server) ---
start_nats() {
  NATS_PORT=${NATS_PORT:-14222}; NATS_MON_PORT=${NATS_MON_PORT:-18222}
  mkdir -p "$SVC_TMP/nats/js"
  nats-server -a 127.0.0.1 -p "$NATS_PORT" -m "$NATS_MON_PORT" -js -sd "$SVC_TMP/nats/js" \
    -l "$SVC_TMP/nats/nats.log" &
  NATS_PID=$!
  CLEANUP+=("stop_pid $NATS_PID 15")
  wait_until 30 curl -sf "http://127.0.0.1:$NATS_MON_PORT/healthz?js-enabled=true"
  export NATS_URL=nats://127.0.0.1:$NATS_PORT
}

# Sourced by scripts/test.sh after ci/lib.sh; the package is installed by install_apt (ci/tools.sh).
# --- etcd 3.4 (Debian etcd-server) ---
start_etcd() {
  ETCD_PORT=${ETCD_PORT:-12379}; ETCD_PEER_PORT=${ETCD_PEER_PORT:-12380}
  mkdir -p "$SVC_TMP/etcd"
  etcd --name ci --data-dir "$SVC_TMP/etcd/data" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "ci=http://127.0.0.1:$ETCD_PEER_PORT" --initial-cluster-state new \
    --logger zap --log-outputs "$SVC_TMP/etcd/etcd.log" --unsafe-no-fsync &
  ETCD_PID=$!
  CLEANUP+=("stop_pid $ETCD_PID 15")
  wait_until 30 bash -c "curl -sf http://127.0.0.1:$ETCD_PORT/health | grep -q '\"health\":\"true\"'"
  export ETCD_ENDPOINTS=127.0.0.1:$ETCD_PORT
}

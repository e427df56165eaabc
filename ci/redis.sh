# Sourced by scripts/test.sh after ci/lib.sh; the package is installed by install_apt (ci/tools.sh).
# --- Redis (Debian redis-server 7.0) ---
start_redis() {
  REDIS_PORT=${REDIS_PORT:-16379}
  mkdir -p "$SVC_TMP/redis"
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$SVC_TMP/redis" \
    --save '' --appendonly no --daemonize no --logfile "$SVC_TMP/redis/redis.log" &
  REDIS_PID=$!
  CLEANUP+=("redis-cli -p $REDIS_PORT shutdown nosave >/dev/null 2>&1; stop_pid $REDIS_PID 10")
  wait_until 30 bash -c "[[ \$(redis-cli -h 127.0.0.1 -p $REDIS_PORT ping) == PONG ]]"
  export REDIS_ADDR=127.0.0.1:$REDIS_PORT
}

# Sourced by scripts/test.sh after ci/lib.sh; the package is installed by install_apt (ci/tools.sh).
# --- RabbitMQ 3.10 on Erlang 25 (Debian rabbitmq-server), no systemd, runs as root ---
# The scripts in /usr/lib/rabbitmq/bin are called directly: the /usr/sbin wrappers 'su' to the
# rabbitmq user and reset HOME, so the CLI would not find this node's Erlang cookie.
rabbit_env() {   # run "$@" with the env shared by the server and the CLI tools
  local d="$SVC_TMP/rabbitmq"
  env HOME="$d" RABBITMQ_CONF_ENV_FILE=/dev/null RABBITMQ_NODENAME=rabbit@localhost \
    ERL_EPMD_ADDRESS=127.0.0.1 ERL_EPMD_PORT="$RABBITMQ_EPMD_PORT" \
    RABBITMQ_CONFIG_FILE="$d/rabbitmq.conf" RABBITMQ_ENABLED_PLUGINS_FILE="$d/enabled_plugins" \
    RABBITMQ_MNESIA_BASE="$d/mnesia" RABBITMQ_LOG_BASE="$d/log" RABBITMQ_PID_FILE="$d/rabbit.pid" \
    RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT="$RABBITMQ_PORT" RABBITMQ_DIST_PORT="$RABBITMQ_DIST_PORT" \
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" \
    RABBITMQ_CTL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" "$@"
}
start_rabbitmq() {
  RABBITMQ_PORT=${RABBITMQ_PORT:-15672}; RABBITMQ_DIST_PORT=${RABBITMQ_DIST_PORT:-25672}
  RABBITMQ_EPMD_PORT=${RABBITMQ_EPMD_PORT:-14369}
  local d="$SVC_TMP/rabbitmq" bin=/usr/lib/rabbitmq/bin; mkdir -p "$d/log" "$d/mnesia"
  printf 'listeners.tcp.default = 127.0.0.1:%s\n' "$RABBITMQ_PORT" >"$d/rabbitmq.conf"
  echo '[].' >"$d/enabled_plugins"
  rabbit_env "$bin/rabbitmq-server" >"$d/log/stdout.log" 2>&1 &
  local wrapper=$!
  CLEANUP+=("rabbit_env epmd -kill >/dev/null 2>&1")   # erl starts its own epmd daemon; it outlives the node
  CLEANUP+=("stop_pid $wrapper 5")
  wait_until 120 tcp_open "$RABBITMQ_PORT"
  RABBITMQ_PID=$(cat "$d/rabbit.pid")                 # the beam.smp process
  CLEANUP+=("rabbit_env timeout 60 $bin/rabbitmqctl -q stop >/dev/null 2>&1; stop_pid $RABBITMQ_PID 30")
  export AMQP_URL=amqp://guest:guest@127.0.0.1:$RABBITMQ_PORT/
  # rabbitmqctl for this node, for tests that restart the broker (stop_app / start_app)
  { echo '#!/usr/bin/env bash'; declare -f rabbit_env
    echo "SVC_TMP='$SVC_TMP' RABBITMQ_EPMD_PORT=$RABBITMQ_EPMD_PORT RABBITMQ_PORT=$RABBITMQ_PORT RABBITMQ_DIST_PORT=$RABBITMQ_DIST_PORT"
    echo "rabbit_env $bin/rabbitmqctl \"\$@\""; } >"$d/ctl"
  chmod +x "$d/ctl"
  export RABBITMQ_CTL="$d/ctl"
}

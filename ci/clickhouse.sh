# Sourced by scripts/test.sh after ci/lib.sh; the package is installed by install_apt (ci/tools.sh).
# --- ClickHouse 18.16 (Debian clickhouse-server; very old: 2018) ---
start_clickhouse() {
  CH_TCP_PORT=${CH_TCP_PORT:-19000}; CH_HTTP_PORT=${CH_HTTP_PORT:-18123}
  local d="$SVC_TMP/clickhouse"; mkdir -p "$d/log"
  cp /etc/clickhouse-server/users.xml "$d/users.xml"
  cat >"$d/config.xml" <<XML
<?xml version="1.0"?>
<yandex>
  <logger><level>information</level><log>$d/log/server.log</log><errorlog>$d/log/error.log</errorlog></logger>
  <listen_host>127.0.0.1</listen_host>
  <tcp_port>$CH_TCP_PORT</tcp_port>
  <http_port>$CH_HTTP_PORT</http_port>
  <path>$d/data/</path>
  <tmp_path>$d/tmp/</tmp_path>
  <user_files_path>$d/user_files/</user_files_path>
  <format_schema_path>$d/format_schemas/</format_schema_path>
  <users_config>$d/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>104857600</mark_cache_size>
  <uncompressed_cache_size>104857600</uncompressed_cache_size>
  <max_concurrent_queries>50</max_concurrent_queries>
</yandex>
XML
  clickhouse-server --config-file="$d/config.xml" >"$d/log/stdout.log" 2>&1 &
  CLICKHOUSE_PID=$!
  CLEANUP+=("stop_pid $CLICKHOUSE_PID 30")
  wait_until 60 bash -c "[[ \$(curl -sf http://127.0.0.1:$CH_HTTP_PORT/ping) == Ok. ]]"
  export CLICKHOUSE_ADDR=127.0.0.1:$CH_TCP_PORT CLICKHOUSE_HTTP=http://127.0.0.1:$CH_HTTP_PORT
}

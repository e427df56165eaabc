# Sourced by scripts/test.sh after ci/lib.sh; the package is installed by install_apt (ci/tools.sh).
# --- PostgreSQL 15 (Debian postgresql; preinstalled on this image, install is an upgrade/no-op there) ---
start_postgres() {
  PG_PORT=${PG_PORT:-15432}
  local bin; bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  local d="$SVC_TMP/pg"
  chmod 755 "$SVC_TMP"; mkdir -p "$d"; chown postgres:postgres "$d"
  runuser -u postgres -- "$bin/initdb" -D "$d/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$d/initdb.log"
  runuser -u postgres -- "$bin/pg_ctl" -D "$d/data" -l "$d/server.log" -w -t 60 start \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $d -c fsync=off -c synchronous_commit=off -c full_page_writes=off" >/dev/null
  PG_PID=$(head -1 "$d/data/postmaster.pid")
  CLEANUP+=("runuser -u postgres -- $bin/pg_ctl -D $d/data -m fast -w stop >/dev/null || stop_pid $PG_PID 10")
  wait_until 30 pg_isready -q -h 127.0.0.1 -p "$PG_PORT"
  export PG_DSN="postgres://postgres@127.0.0.1:$PG_PORT/postgres?sslmode=disable"
}

# Sourced by scripts/test.sh after ci/lib.sh; the package is installed by install_apt (ci/tools.sh).
# --- MariaDB 10.11 (Debian mariadb-server) ---
start_mariadb() {
  MARIADB_PORT=${MARIADB_PORT:-13306}
  local d="$SVC_TMP/mariadb"
  chmod 755 "$SVC_TMP"; mkdir -p "$d"; chown mysql:mysql "$d"
  mariadb-install-db --no-defaults --datadir="$d/data" --user=mysql \
    --auth-root-authentication-method=socket --skip-test-db >"$d/install-db.log" 2>&1
  mariadbd --no-defaults --user=mysql --datadir="$d/data" --socket="$d/mysqld.sock" \
    --pid-file="$d/mysqld.pid" --log-error="$d/error.log" \
    --bind-address=127.0.0.1 --port="$MARIADB_PORT" --skip-name-resolve \
    --innodb-buffer-pool-size=64M --innodb-flush-log-at-trx-commit=0 --skip-log-bin &
  MARIADB_PID=$!
  CLEANUP+=("mariadb-admin --socket=$d/mysqld.sock -uroot shutdown 2>/dev/null; stop_pid $MARIADB_PID 30")
  wait_until 60 mariadb-admin --socket="$d/mysqld.sock" -uroot ping
  mariadb --socket="$d/mysqld.sock" -uroot -e "CREATE DATABASE test;
    CREATE USER 'test'@'127.0.0.1' IDENTIFIED BY 'test'; GRANT ALL ON *.* TO 'test'@'127.0.0.1';"
  export MYSQL_DSN="test:test@tcp(127.0.0.1:$MARIADB_PORT)/test?parseTime=true"
}

# Sourced by scripts/test.sh after ci/lib.sh.
# --- Mailpit v1.33.1 (MIT): an SMTP server that keeps what it receives and shows it over an HTTP API ---
# Built from the Go module proxy into tools/bin (go install @version: its go.mod has no replace).
# contrib/report/email's tests send to SMTP_ADDR and read what arrived from MAILPIT_API; its TLS tests
# start their own mailpit (from PATH) with a certificate they generate.
MAILPIT_VERSION=v1.33.1
install_mailpit() {
  mkdir -p tools/bin
  if ! go version -m tools/bin/mailpit 2>/dev/null | grep -q "github.com/axllent/mailpit[[:space:]]*$MAILPIT_VERSION"; then
    GOBIN=$PWD/tools/bin GOWORK=off go install "github.com/axllent/mailpit@$MAILPIT_VERSION"
  fi
}
start_mailpit() {
  MAILPIT_SMTP_PORT=${MAILPIT_SMTP_PORT:-19625}; MAILPIT_HTTP_PORT=${MAILPIT_HTTP_PORT:-19626}
  local d="$SVC_TMP/mailpit"; mkdir -p "$d"
  tools/bin/mailpit --smtp "127.0.0.1:$MAILPIT_SMTP_PORT" --listen "127.0.0.1:$MAILPIT_HTTP_PORT" \
    --database "$d/mailpit.db" --disable-version-check --smtp-disable-rdns >"$d/mailpit.log" 2>&1 &
  MAILPIT_PID=$!
  CLEANUP+=("stop_pid $MAILPIT_PID 10")
  wait_until 30 curl -sf "http://127.0.0.1:$MAILPIT_HTTP_PORT/readyz"
  export SMTP_ADDR=127.0.0.1:$MAILPIT_SMTP_PORT MAILPIT_API=http://127.0.0.1:$MAILPIT_HTTP_PORT/api/v1
}

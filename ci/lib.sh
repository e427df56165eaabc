# Common helpers for the CI and test scripts (bash). Sourced, not run.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
SVC_TMP=${SVC_TMP:-$(mktemp -d)}
CLEANUP=("rm -rf '$SVC_TMP'")   # runs last: cleanup runs in reverse order
on_exit() { local i; for ((i=${#CLEANUP[@]}-1; i>=0; i--)); do eval "${CLEANUP[i]}" || true; done; }
trap on_exit EXIT
trap "exit 130" INT TERM HUP PIPE   # make signals run the EXIT trap too

# wait_until TIMEOUT_S CMD... : poll CMD every 0.1 s until it succeeds
wait_until() {
  local t=$1; shift; local end=$(( $(date +%s) + t ))
  until "$@" >/dev/null 2>&1; do
    if (( $(date +%s) >= end )); then echo "timeout after ${t}s waiting for: $*" >&2; return 1; fi
    sleep 0.1
  done
}
# stop_pid PID [TIMEOUT_S]: SIGTERM, wait, SIGKILL if still alive
stop_pid() {
  local pid=$1 t=${2:-30} i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i=0; i<t*10; i++)); do kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }; sleep 0.1; done
  echo "pid $pid ignored SIGTERM for ${t}s, killing" >&2; kill -KILL "$pid" 2>/dev/null || true
}
# tcp_open PORT : true when something accepts on 127.0.0.1:PORT
tcp_open() { (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null; }
# step NAME : print a banner with elapsed time
STEP_T0=${STEP_T0:-$(date +%s)}
step() { echo "== [$(( $(date +%s) - STEP_T0 ))s] $*"; }

#!/usr/bin/env bash
# Fuzz every Go fuzz target (func FuzzX(f *testing.F)) of the given modules for
# a short time, as CI does (scripts/test.sh calls it with its module list):
#   bash ci/fuzz.sh [module dir ...]        default: every module of go.work
# Targets are listed by `go test -list '^Fuzz'` in each package whose tests
# declare one, so a new target runs without editing this script.
# FUZZ_BUDGET seconds (default 240: about 4 min on 2 cores) are shared by the
# targets: each gets what is left of the budget divided by the targets left,
# within FUZZ_MIN..FUZZ_MAX seconds (2..30), so listing the targets and
# compiling for fuzzing count in the budget and the step stays near it however
# many targets there are (past it by a few seconds a target when they are many).
# A crasher fails the step once every target has run, printing the package,
# the target and the failing input's file (testdata/fuzz/FuzzX/<id> beside the
# package's tests: commit it with the fix, it is a regression test from then on).
# FUZZ_RUN=<regexp> runs only the targets whose name matches (FUZZ_RUN=FuzzLoad).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
budget=${FUZZ_BUDGET:-240} min=${FUZZ_MIN:-2} max=${FUZZ_MAX:-30}
start=$(date +%s)   # finding the targets (a test build per module) counts in the budget too
parallel=()
[[ -n ${FUZZ_PARALLEL:-} ]] && parallel=(-parallel "$FUZZ_PARALLEL")

modules=("$@")
if ((${#modules[@]} == 0)); then
  mapfile -t modules < <(go list -m -f '{{.Dir}}' | sed "s|^$root/*||; s|^$|.|")
fi

# targets: "module importpath dir FuzzName", one per target
targets=()
declare -A dirs
for m in "${modules[@]}"; do
  pkgs=()
  while read -r dir pkg; do
    grep -qs '^func Fuzz' "$dir"/*_test.go || continue
    pkgs+=("$pkg"); dirs[$pkg]=$dir
  done < <(cd "$m" && go list -f '{{.Dir}} {{.ImportPath}}' ./...)
  ((${#pkgs[@]})) || continue
  # one go test -list for the module's packages: each prints its targets, then "ok  <pkg>"
  if ! out=$(cd "$m" && go test -list '^Fuzz' "${pkgs[@]}" 2>&1); then
    echo "fuzz: cannot list the fuzz targets of $m:"; echo "$out"; exit 1
  fi
  names=()
  while read -r first second _; do
    case $first in
      Fuzz*) [[ $first =~ ${FUZZ_RUN:-.} ]] && names+=("$first") ;;
      ok) for n in "${names[@]}"; do targets+=("$m $second ${dirs[$second]} $n"); done; names=() ;;
    esac
  done <<<"$out"
done
echo "fuzz: ${#targets[@]} targets in ${#modules[@]} modules, budget ${budget}s"

# fuzz_one FUZZTIME: fuzz target $name of $pkg in module $m, output in $log
fuzz_one() {
  (cd "$m" && go test -run '^$' -fuzz "^${name}\$" -fuzztime "$1" -fuzzminimizetime 10s \
    -timeout "$((secs + 300))s" "${parallel[@]}" "$pkg") >"$log" 2>&1
}
# coordinator_race: the failure in $log is the fuzz coordinator's deadline,
# not an input: the target's FAIL line is followed by that message alone and
# no input was written or named
coordinator_race() {
  grep -q "^--- FAIL: ${name} (" "$log" && grep -qx '    context deadline exceeded' "$log" &&
    ! grep -q "Failing input written\|--- FAIL: ${name}/\|seed corpus entry" "$log"
}

log=$(mktemp)
trap 'rm -f "$log"' EXIT
left=${#targets[@]} failed=()
for t in "${targets[@]}"; do
  read -r m pkg dir name <<<"$t"
  secs=$(( (budget - ($(date +%s) - start)) / left ))
  (( secs < min )) && secs=$min
  (( secs > max )) && secs=$max
  left=$((left - 1))
  if fuzz_one "${secs}s"; then
    echo "ok   $pkg $name ${secs}s $(grep -o 'execs: [0-9]*' "$log" | tail -1)"
    continue
  fi
  if coordinator_race; then
    # Go's fuzz coordinator can report its own -fuzztime deadline as a failure
    # ("context deadline exceeded", no input: go.dev/issue/75804, fixed in Go
    # 1.27) when workers are slow to stop on a loaded machine. Run the target
    # again for as many executions as it made, which takes no deadline.
    execs=$(grep -o 'execs: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || true)
    execs=$(( ${execs:-0} > 1000 ? ${execs:-0} : 1000 ))
    echo "fuzz: $pkg $name hit go.dev/issue/75804 (context deadline exceeded, no input); again for ${execs} executions"
    if fuzz_one "${execs}x"; then
      echo "ok   $pkg $name ${execs}x"
      continue
    fi
  fi
  cat "$log"
  # a new crasher is written by go test; a failing seed is a file already
  # (testdata/fuzz/...) or an f.Add in the test (seed#N)
  id=""
  input=$(sed -n 's/.*Failing input written to \(testdata\/fuzz\/[^ ]*\).*/\1/p' "$log" | head -1)
  if [[ -z $input ]]; then
    id=$(sed -n "s/.*seed corpus entry: $name\/\([^ ]*\).*/\1/p; s/.*--- FAIL: $name\/\([^ ]*\).*/\1/p" "$log" | head -1)
    if [[ -n $id && -f $dir/testdata/fuzz/$name/$id ]]; then input=testdata/fuzz/$name/$id; fi
  fi
  if [[ -n $input ]]; then
    rel=${dir#"$root"}; rel=${rel#/}
    where=${rel:+$rel/}$input
    echo "fuzz: $pkg $name failed on $where:"; cat "$dir/$input"; echo
  else
    where="${id:+$id, an f.Add seed in the test}"; where=${where:-"no input named: see the output above"}
  fi
  failed+=("$pkg $name: $where")
done

echo "fuzz: done in $(( $(date +%s) - start ))s"
if ((${#failed[@]})); then
  echo "fuzz: ${#failed[@]} targets failed (reproduce with go test -run '<Target>/<id>' in the package):"
  printf '  %s\n' "${failed[@]}"
  exit 1
fi

#!/usr/bin/env bash
# The whole test suite, RUNS times (default 3) in a row, each with one core kept busy by
# stress-ng (Debian's package, installed with apt-get if missing: needs root or sudo): a busy CI
# machine. Prints each run's result and ends non-zero if any run failed.
# usage: loaded_suite.sh [pytest arguments...]   (RAPPORT_LOADED_RUNS=3, RAPPORT_LOADED_CPUS=1)
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
RUNS="${RAPPORT_LOADED_RUNS:-3}"
CPUS="${RAPPORT_LOADED_CPUS:-1}"
STATE="${RAPPORT_STATE_DIR:-$REPO/.local}/loaded"
mkdir -p "$STATE"

ensure_stress_ng() {
  command -v stress-ng >/dev/null && return
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "loaded: installing stress-ng (Debian package)"
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends stress-ng >/dev/null
  command -v stress-ng >/dev/null || { echo "stress-ng did not install" >&2; exit 1; }
}

load_pid=""
stop_load() {
  if [[ -n "$load_pid" ]]; then kill "$load_pid" 2>/dev/null || true; wait "$load_pid" 2>/dev/null || true; fi
  load_pid=""
}
trap stop_load EXIT

ensure_stress_ng
cd "$REPO"
failed=0
results=()
for run in $(seq 1 "$RUNS"); do
  # Bounded even if this script dies without its trap: 3 h is longer than any suite run.
  stress-ng --cpu "$CPUS" --cpu-load 100 --timeout 3h --quiet &
  load_pid=$!
  log="$STATE/run-$run.log"
  started=$(date +%s)
  rc=0
  .venv/bin/python -m pytest -q "$@" >"$log" 2>&1 || rc=$?
  stop_load
  took=$(( $(date +%s) - started ))
  summary="$(tail -1 "$log")"  # pytest's closing line: counts and duration
  results+=("run $run/$RUNS ($CPUS core(s) busy): exit $rc after ${took} s: ${summary:-see $log}")
  echo "${results[-1]}"
  [[ $rc -eq 0 ]] || { failed=1; grep -E '^(FAILED|ERROR) ' "$log" || true; }
done
printf '%s\n' "${results[@]}" >"$STATE/summary.txt"
echo "loaded: logs and summary.txt in $STATE"
exit "$failed"

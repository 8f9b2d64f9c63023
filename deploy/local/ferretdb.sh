#!/usr/bin/env bash
# Local FerretDB 1.24.2 (SQLite backend) as Rapport's MongoDB-wire server. No Docker: the server is
# built with Go from deploy/local/ferretdb (a tiny main embedding FerretDB's library package) against
# a copy of the FerretDB module patched with deploy/local/ferretdb/patches/*.patch.
#
#   deploy/local/ferretdb.sh build    build the patched server into the cache (instant if cached)
#   deploy/local/ferretdb.sh start    build if needed, start on 127.0.0.1 (or reuse), wait for ping
#   deploy/local/ferretdb.sh stop     SIGTERM, then SIGKILL after a grace period (idempotent)
#   deploy/local/ferretdb.sh status   exit 0 if running, 1 if not
#
# Environment:
#   RAPPORT_MONGO_PORT                 port on 127.0.0.1 (default 27017)
#   RAPPORT_CACHE_DIR                  build cache root (default ~/.cache/rapport)
#   RAPPORT_STATE_DIR                  state root (default <repo>/.local); FerretDB uses <it>/ferretdb
#   RAPPORT_FERRETDB_START_TIMEOUT     seconds to wait for readiness (default 30)
#
# Downloads happen only through `go` (the FerretDB module and its dependencies, at the exact
# versions pinned by deploy/local/ferretdb/go.mod and go.sum, from the Go module proxy).
set -euo pipefail

FERRETDB_VERSION=1.24.2
FERRETDB_MODULE=github.com/FerretDB/FerretDB

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
REPO_ROOT=$(cd -- "$SCRIPT_DIR/../.." && pwd -P)
SRC_DIR=$SCRIPT_DIR/ferretdb

PORT=${RAPPORT_MONGO_PORT:-27017}
ADDR=127.0.0.1:$PORT
URL=mongodb://$ADDR/
START_TIMEOUT=${RAPPORT_FERRETDB_START_TIMEOUT:-30}
STOP_TIMEOUT=15

CACHE_ROOT=${RAPPORT_CACHE_DIR:-$HOME/.cache/rapport}

STATE_ROOT=${RAPPORT_STATE_DIR:-$REPO_ROOT/.local}
STATE_DIR=$STATE_ROOT/ferretdb
DATA_DIR=$STATE_DIR/data
LOG_FILE=$STATE_DIR/ferretdb.log
PID_FILE=$STATE_DIR/ferretdb.pid
LOCK_FILE=$STATE_DIR/.lock

VENV_PYTHON=$REPO_ROOT/.venv/bin/python

say() { printf 'ferretdb: %s\n' "$*"; }
die() { printf 'ferretdb: error: %s\n' "$*" >&2; exit 1; }

# Serialise start/stop on one state dir. The fd is closed for the server.
take_lock() {
    mkdir -p -- "$STATE_DIR"
    if command -v flock >/dev/null 2>&1; then
        exec 9>"$LOCK_FILE"
        flock -w 120 9 || die "another ferretdb.sh is busy with $STATE_DIR"
    fi
}

# ---------------------------------------------------------------- build

# Everything that goes into the binary; a change to any of it gives a new cache entry.
build_inputs() {
    printf '%s\n' "$SRC_DIR/go.mod" "$SRC_DIR/go.sum" "$SRC_DIR/main.go"
    find "$SRC_DIR/patches" -maxdepth 1 -type f -name '*.patch' | LC_ALL=C sort
}

build_hash() {
    local f
    while IFS= read -r f; do
        printf '%s  %s\n' "$(sha256sum <"$f" | cut -d' ' -f1)" "${f#"$SRC_DIR"/}"
    done < <(build_inputs) | sha256sum | cut -c1-16
}

binary_path() { printf '%s/ferretdb-%s-%s/ferretdb\n' "$CACHE_ROOT" "$FERRETDB_VERSION" "$(build_hash)"; }

cmd_build() {
    local bin
    bin=$(binary_path)
    if [[ -x $bin ]]; then
        say "build: cached $bin"
        return 0
    fi
    command -v go >/dev/null 2>&1 || die "go not found; Go >= 1.24 is needed to build FerretDB"
    command -v patch >/dev/null 2>&1 || die "patch not found; it is needed to apply $SRC_DIR/patches"

    local t0=$SECONDS work
    mkdir -p -- "$CACHE_ROOT"
    work=$(mktemp -d "$CACHE_ROOT/.ferretdb-build.XXXXXX")
    # shellcheck disable=SC2064 # expand $work now
    trap "rm -rf -- '$work'" EXIT

    # Our main module, on a scratch copy so the replace directive never touches the repo.
    mkdir -p -- "$work/main"
    cp -- "$SRC_DIR/go.mod" "$SRC_DIR/go.sum" "$SRC_DIR/main.go" "$work/main/"

    say "build: fetching $FERRETDB_MODULE v$FERRETDB_VERSION (go module cache, exact version)"
    local mod_dir
    (cd "$work/main" && go mod download "$FERRETDB_MODULE") ||
        die "go mod download $FERRETDB_MODULE@v$FERRETDB_VERSION failed"
    mod_dir=$(cd "$work/main" && go list -m -f '{{.Dir}}' "$FERRETDB_MODULE")
    [[ -n $mod_dir && -f $mod_dir/go.mod ]] || die "FerretDB module source not found in the module cache"

    say "build: copying the module source and applying patches"
    cp -R -- "$mod_dir" "$work/FerretDB"
    chmod -R u+w -- "$work/FerretDB"
    local p
    while IFS= read -r p; do
        [[ $p == *.patch ]] || continue
        say "build:   $(basename -- "$p")"
        patch -p1 --batch --forward --quiet -d "$work/FerretDB" <"$p" ||
            die "patch $(basename -- "$p") does not apply to FerretDB v$FERRETDB_VERSION"
    done < <(build_inputs)

    (cd "$work/main" && go mod edit -replace "$FERRETDB_MODULE=../FerretDB")

    say "build: compiling (first build takes a few minutes; the Go build cache makes later ones fast)"
    (
        cd "$work/main"
        CGO_ENABLED=0 GOFLAGS=-mod=readonly go build -trimpath -tags ferretdb_no_postgresql \
            -o "$work/ferretdb" .
    ) || die "go build failed"

    mkdir -p -- "$(dirname -- "$bin")"
    mv -f -- "$work/ferretdb" "$bin.tmp.$$"
    mv -f -- "$bin.tmp.$$" "$bin"
    rm -rf -- "$work"
    trap - EXIT
    say "build: done in $((SECONDS - t0)) s: $bin"
}

# ---------------------------------------------------------------- run

require_python() {
    [[ -x $VENV_PYTHON ]] || die "$VENV_PYTHON not found; run 'make setup' first (pymongo is used to ping the server)"
}

# Exit 0 if a MongoDB-wire server answers ping on $URL.
answers() {
    "$VENV_PYTHON" - "$URL" >/dev/null 2>&1 <<'PY'
import sys
from pymongo import MongoClient
client = MongoClient(sys.argv[1], directConnection=True, serverSelectionTimeoutMS=1000,
                     connectTimeoutMS=1000, socketTimeoutMS=2000)
try:
    client.admin.command("ping")
finally:
    client.close()
PY
}

# Print the pid of our server if its pid file names a live ferretdb process.
live_pid() {
    [[ -f $PID_FILE ]] || return 1
    local pid
    pid=$(<"$PID_FILE")
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    # Guard against a recycled pid.
    [[ "$(ps -p "$pid" -o comm= 2>/dev/null)" == ferretdb* ]] || return 1
    printf '%s\n' "$pid"
}

cmd_start() {
    require_python
    take_lock

    local pid
    if pid=$(live_pid); then
        if answers; then
            say "already running (pid $pid) on $ADDR; reusing it"
            return 0
        fi
        say "process $pid is up but does not answer on $ADDR yet; waiting for it"
    else
        rm -f -- "$PID_FILE"
        if answers; then
            say "a MongoDB-wire server already answers on $ADDR (not started by this script); reusing it"
            return 0
        fi

        cmd_build
        local bin
        bin=$(binary_path)
        mkdir -p -- "$DATA_DIR"
        say "starting on $ADDR (data $DATA_DIR, log $LOG_FILE)"
        # setsid: the server outlives this shell and its process group; 9>&-: it must not hold the lock.
        setsid nohup "$bin" -listen-addr "$ADDR" -data-dir "$DATA_DIR" -log-level warn \
            </dev/null >>"$LOG_FILE" 2>&1 9>&- &
        pid=$!
        printf '%s\n' "$pid" >"$PID_FILE"
    fi

    local deadline=$((SECONDS + START_TIMEOUT))
    while ((SECONDS < deadline)); do
        if answers; then
            say "ready on $URL (pid $pid)"
            return 0
        fi
        if ! kill -0 "$pid" 2>/dev/null; then
            rm -f -- "$PID_FILE"
            printf 'ferretdb: error: server exited during start; last lines of %s:\n' "$LOG_FILE" >&2
            tail -n 20 -- "$LOG_FILE" >&2 || true
            exit 1
        fi
        sleep 0.3
    done
    die "no answer on $ADDR after $START_TIMEOUT s (pid $pid still running); see $LOG_FILE"
}

cmd_stop() {
    take_lock
    local pid
    if ! pid=$(live_pid); then
        rm -f -- "$PID_FILE"
        say "not running"
        return 0
    fi
    say "stopping pid $pid"
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + STOP_TIMEOUT))
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
        sleep 0.2
    done
    if kill -0 "$pid" 2>/dev/null; then
        say "pid $pid still alive after $STOP_TIMEOUT s; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
    fi
    rm -f -- "$PID_FILE"
    say "stopped"
}

cmd_status() {
    local pid
    if pid=$(live_pid); then
        say "running (pid $pid) on $ADDR, data $DATA_DIR"
        return 0
    fi
    if [[ -x $VENV_PYTHON ]] && answers; then
        say "running on $ADDR (not started by this script)"
        return 0
    fi
    say "not running"
    return 1
}

case "${1:-}" in
    build) cmd_build ;;
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    *)
        echo "usage: $0 build|start|stop|status" >&2
        exit 2
        ;;
esac

#!/usr/bin/env bash
# Local Zipkin (trace storage, API and its Lens UI in one jar) for `make observe` and the trace
# tests. The jar is io.zipkin:zipkin-server (classifier exec) from Maven Central, fetched with
# Maven like Kafka's jars and cached; in-memory storage, loopback only.
#
#   deploy/local/zipkin.sh fetch|start|stop|status
#
# Environment: RAPPORT_ZIPKIN_PORT (default 9411), RAPPORT_CACHE_DIR (default ~/.cache/rapport),
# RAPPORT_STATE_DIR (default <repo>/.local; Zipkin uses <it>/zipkin), JAVA_HOME.
set -euo pipefail

ZIPKIN_VERSION=3.5.1
REPO_ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd -P)
PORT=${RAPPORT_ZIPKIN_PORT:-9411}
CACHE_DIR=${RAPPORT_CACHE_DIR:-$HOME/.cache/rapport}/zipkin-$ZIPKIN_VERSION
JAR=$CACHE_DIR/zipkin-server-$ZIPKIN_VERSION-exec.jar
STATE_DIR=${RAPPORT_STATE_DIR:-$REPO_ROOT/.local}/zipkin
PID_FILE=$STATE_DIR/zipkin.pid
LOG_FILE=$STATE_DIR/zipkin.log
JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java

say() { printf 'zipkin: %s\n' "$*"; }
die() { printf 'zipkin: error: %s\n' "$*" >&2; exit 1; }

cmd_fetch() {
    [[ -s $JAR ]] && return 0
    command -v mvn >/dev/null 2>&1 || die "mvn (Maven) not found; it is needed once to download Zipkin"
    say "fetching io.zipkin:zipkin-server:$ZIPKIN_VERSION (exec jar, ~130 MB) from Maven Central"
    mkdir -p "$CACHE_DIR"
    mvn -q -B dependency:copy -Dartifact="io.zipkin:zipkin-server:$ZIPKIN_VERSION:jar:exec" \
        -DoutputDirectory="$CACHE_DIR.partial" >"$CACHE_DIR.mvn.log" 2>&1 ||
        { tail -n 20 "$CACHE_DIR.mvn.log" >&2; die "Maven could not fetch Zipkin"; }
    mv -- "$CACHE_DIR.partial/$(basename "$JAR")" "$JAR"
    rm -rf -- "$CACHE_DIR.partial" "$CACHE_DIR.mvn.log"
}

answers() { curl -fsS -o /dev/null "http://127.0.0.1:$PORT/health" 2>/dev/null; }
running_pid() { [[ -f $PID_FILE ]] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null && cat "$PID_FILE"; }

cmd_start() {
    if answers; then say "already answering on 127.0.0.1:$PORT"; return 0; fi
    cmd_fetch
    mkdir -p "$STATE_DIR"
    say "starting Zipkin $ZIPKIN_VERSION on 127.0.0.1:$PORT, log $LOG_FILE"
    (
        cd "$STATE_DIR"
        exec nohup setsid "$JAVA" -Xmx256m -jar "$JAR" --server.port="$PORT" \
            --armeria.ports[0].port="$PORT" --armeria.ports[0].ip=127.0.0.1 \
            --armeria.ports[0].protocols[0]=http \
            </dev/null >"$LOG_FILE" 2>&1
    ) &
    echo $! >"$PID_FILE"
    for _ in $(seq 1 240); do
        if answers; then say "ready: UI http://127.0.0.1:$PORT/zipkin/"; return 0; fi
        kill -0 "$(cat "$PID_FILE")" 2>/dev/null || { tail -n 30 "$LOG_FILE" >&2; die "Zipkin exited"; }
        sleep 0.5
    done
    die "Zipkin did not answer within 120 s (log $LOG_FILE)"
}

cmd_stop() {
    local pid
    pid=$(running_pid || true)
    if [[ -z $pid ]]; then say "not running"; rm -f -- "$PID_FILE"; return 0; fi
    kill -TERM "$pid"
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -KILL "$pid" 2>/dev/null || true
    rm -f -- "$PID_FILE"
    say "stopped"
}

case ${1:-} in
    fetch) cmd_fetch ;;
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) if answers; then say "answering on 127.0.0.1:$PORT"; else say "not running"; exit 1; fi ;;
    *) echo "usage: zipkin.sh fetch|start|stop|status" >&2; exit 2 ;;
esac

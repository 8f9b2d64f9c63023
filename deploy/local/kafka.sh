#!/usr/bin/env bash
# Local single-node Apache Kafka (KRaft, broker+controller in one JVM) for
# Rapport development. No Docker, no Kafka tarball: the jars come from Maven
# Central via deploy/local/kafka/pom.xml.
#
#   deploy/local/kafka.sh fetch    download the jars into the cache (no-op if there)
#   deploy/local/kafka.sh start    fetch, format (first time), start, wait until it answers
#   deploy/local/kafka.sh stop     SIGTERM, then SIGKILL after a grace period (idempotent)
#   deploy/local/kafka.sh status   exit 0 if a broker answers on the port, 1 if not
#   deploy/local/kafka.sh reset    stop and delete the data dir (next start formats anew)
#
# Environment:
#   RAPPORT_KAFKA_PORT             PLAINTEXT listener on 127.0.0.1 (default 9092)
#   RAPPORT_KAFKA_CONTROLLER_PORT  CONTROLLER listener on 127.0.0.1 (default 9093)
#   RAPPORT_KAFKA_SASL_PORT        SASL_PLAINTEXT listener on 127.0.0.1 (default 9094; PLAIN,
#                                  user rapport, password rapport-local)
#   RAPPORT_CACHE_DIR              jar cache root (default ~/.cache/rapport)
#   RAPPORT_STATE_DIR              state root (default <repo>/.local); Kafka uses <it>/kafka
#   RAPPORT_KAFKA_START_TIMEOUT    seconds to wait for readiness (default 60)
#   KAFKA_HEAP_OPTS                JVM heap (default -Xmx512m -Xms512m)
#   KAFKA_OPTS                     extra JVM options
#   JAVA_HOME                      JDK to use (default: java on PATH); JDK 17+
set -euo pipefail

KAFKA_VERSION=4.4.0

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
REPO_ROOT=$(cd -- "$SCRIPT_DIR/../.." && pwd -P)
SUPPORT_DIR=$SCRIPT_DIR/kafka

PORT=${RAPPORT_KAFKA_PORT:-9092}
CONTROLLER_PORT=${RAPPORT_KAFKA_CONTROLLER_PORT:-9093}
SASL_PORT=${RAPPORT_KAFKA_SASL_PORT:-9094}
BOOTSTRAP=127.0.0.1:$PORT
START_TIMEOUT=${RAPPORT_KAFKA_START_TIMEOUT:-60}
STOP_TIMEOUT=20

CACHE_ROOT=${RAPPORT_CACHE_DIR:-$HOME/.cache/rapport}
LIBS_DIR=$CACHE_ROOT/kafka-$KAFKA_VERSION/libs
FETCH_MARKER=$LIBS_DIR/.fetch-complete

STATE_ROOT=${RAPPORT_STATE_DIR:-$REPO_ROOT/.local}
STATE_DIR=$STATE_ROOT/kafka
DATA_DIR=$STATE_DIR/data
CONFIG_FILE=$STATE_DIR/server.properties
LOG_FILE=$STATE_DIR/kafka.log
PID_FILE=$STATE_DIR/kafka.pid
LOCK_FILE=$STATE_DIR/.lock

VENV_PYTHON=$REPO_ROOT/.venv/bin/python

JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java

say() { printf 'kafka: %s\n' "$*"; }
die() { printf 'kafka: error: %s\n' "$*" >&2; exit 1; }

# Serialise start/stop/reset on one state dir. The fd is closed for the broker.
take_lock() {
    mkdir -p "$STATE_DIR"
    if command -v flock >/dev/null 2>&1; then
        exec 9>"$LOCK_FILE"
        flock -w 120 9 || die "another kafka.sh is busy with $STATE_DIR"
    fi
}

# ---------------------------------------------------------------- fetch

pom_sum() { sha256sum "$SUPPORT_DIR/pom.xml" | cut -d' ' -f1; }

fetched() { [[ -f $FETCH_MARKER && "$(cat "$FETCH_MARKER")" == "$(pom_sum)" ]]; }

cmd_fetch() {
    if fetched; then
        return 0
    fi
    command -v mvn >/dev/null 2>&1 || die "mvn (Maven) not found; it is needed once to download the Kafka jars"
    say "fetching Kafka $KAFKA_VERSION jars from Maven Central into $LIBS_DIR"
    local partial=$LIBS_DIR.partial t0=$SECONDS
    rm -rf -- "$partial"
    mkdir -p -- "$partial"
    if ! mvn -q -B -f "$SUPPORT_DIR/pom.xml" dependency:copy-dependencies \
            -DincludeScope=runtime -DoutputDirectory="$partial" >"$partial.mvn.log" 2>&1; then
        tail -n 30 "$partial.mvn.log" >&2
        die "Maven could not fetch the Kafka jars (full output: $partial.mvn.log)"
    fi
    [[ -f $partial/kafka_2.13-$KAFKA_VERSION.jar ]] || die "kafka_2.13-$KAFKA_VERSION.jar missing after fetch"
    rm -rf -- "$LIBS_DIR" "$partial.mvn.log"
    mv -- "$partial" "$LIBS_DIR"
    pom_sum >"$FETCH_MARKER"
    say "fetched $(find "$LIBS_DIR" -name '*.jar' | wc -l) jars ($(du -sh "$LIBS_DIR" | cut -f1)) in $((SECONDS - t0)) s"
}

# ---------------------------------------------------------------- helpers

java_cmd() {
    command -v "$JAVA" >/dev/null 2>&1 || die "java not found (set JAVA_HOME or put a JDK 17+ on PATH)"
    "$JAVA" -cp "$LIBS_DIR/*" -Dlog4j2.configurationFile="$SUPPORT_DIR/log4j2.properties" "$@"
}

# probe TIMEOUT [PID]: does a broker answer a metadata request on $BOOTSTRAP?
# Exit 0 yes, 1 no answer within TIMEOUT seconds, 2 process PID died meanwhile.
probe() {
    local timeout=$1 pid=${2:-0}
    if [[ -x $VENV_PYTHON ]] && "$VENV_PYTHON" -c 'import aiokafka' >/dev/null 2>&1; then
        "$VENV_PYTHON" - "$BOOTSTRAP" "$timeout" "$pid" <<'PY'
import asyncio, logging, os, sys, time
from aiokafka.admin import AIOKafkaAdminClient

logging.disable(logging.CRITICAL)
bootstrap, timeout, pid = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])

def alive():
    if pid <= 0:
        return True
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True

async def attempt():
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=2000)
    try:
        await asyncio.wait_for(admin.start(), 3)
        info = await asyncio.wait_for(admin.describe_cluster(), 3)
        return info
    finally:
        try:
            await asyncio.wait_for(admin.close(), 2)
        except Exception:
            pass

async def main():
    deadline = time.monotonic() + timeout
    while True:
        try:
            info = await attempt()
            if info.get("brokers"):
                print(f"cluster {info.get('cluster_id')}, {len(info['brokers'])} broker(s)")
                return 0
        except Exception:
            pass
        if not alive():
            return 2
        if time.monotonic() > deadline:
            return 1
        await asyncio.sleep(0.25)

sys.exit(asyncio.run(main()))
PY
    else
        # No venv: a tiny Java Admin client (single-file source program).
        command -v "$JAVA" >/dev/null 2>&1 && fetched || return 1
        "$JAVA" -cp "$LIBS_DIR/*" -Dlog4j2.level=OFF -Dlog4j2.statusLoggerLevel=OFF \
            "$SUPPORT_DIR/KafkaProbe.java" "$BOOTSTRAP" "$timeout" "$pid" 2>/dev/null
    fi
}

# PID of our running broker, from the pid file, or nothing. Drops a stale file.
running_pid() {
    [[ -f $PID_FILE ]] || return 0
    local pid
    pid=$(cat "$PID_FILE" 2>/dev/null || true)
    if [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null &&
        tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'kafka\.Kafka'; then
        echo "$pid"
    else
        rm -f -- "$PID_FILE"
    fi
}

# Alive and not a zombie (an exited broker waits for init to reap it).
alive() {
    kill -0 "$1" 2>/dev/null || return 1
    local state
    state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null || true)
    [[ $state != Z ]]
}

port_in_use() { (: <"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

log_tail() {
    [[ -f $LOG_FILE ]] || return 0
    printf -- '--- last lines of %s ---\n' "$LOG_FILE" >&2
    tail -n 40 "$LOG_FILE" >&2
    printf -- '---\n' >&2
}

write_config() {
    mkdir -p "$DATA_DIR"
    sed -e "s|@PORT@|$PORT|g" \
        -e "s|@CONTROLLER_PORT@|$CONTROLLER_PORT|g" \
        -e "s|@SASL_PORT@|$SASL_PORT|g" \
        -e "s|@DATA_DIR@|$DATA_DIR|g" \
        "$SUPPORT_DIR/server.properties.template" >"$CONFIG_FILE.tmp"
    mv -- "$CONFIG_FILE.tmp" "$CONFIG_FILE"
}

format_if_needed() {
    [[ -f $DATA_DIR/meta.properties ]] && return 0
    local cluster_id out
    # A Kafka Uuid as `kafka-storage random-uuid` makes it (16 random bytes,
    # unpadded base64url, not starting with '-'), without starting a JVM for it.
    while :; do
        cluster_id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
        [[ $cluster_id == -* ]] || break
    done
    [[ $cluster_id =~ ^[A-Za-z0-9_-]{22}$ ]] || die "could not generate a cluster id (got: $cluster_id)"
    say "formatting $DATA_DIR (cluster id $cluster_id)"
    if ! out=$(java_cmd kafka.tools.StorageTool format --standalone \
            --cluster-id "$cluster_id" --config "$CONFIG_FILE" 2>&1); then
        printf '%s\n' "$out" >&2
        die "formatting the data dir failed"
    fi
}

# ---------------------------------------------------------------- commands

cmd_start() {
    take_lock
    local pid t0=$SECONDS
    pid=$(running_pid)
    if [[ -n $pid ]]; then
        if probe 2 >/dev/null; then
            say "already running (pid $pid) on $BOOTSTRAP"
            return 0
        fi
        say "pid $pid is running but not answering yet; waiting"
    elif port_in_use "$PORT"; then
        if probe 3 >/dev/null; then
            say "a broker already answers on $BOOTSTRAP; reusing it (not started by this script)"
            return 0
        fi
        die "port $PORT on 127.0.0.1 is in use, but not by a Kafka broker that answers there"
    elif port_in_use "$CONTROLLER_PORT"; then
        die "controller port $CONTROLLER_PORT on 127.0.0.1 is in use (set RAPPORT_KAFKA_CONTROLLER_PORT)"
    elif port_in_use "$SASL_PORT"; then
        die "SASL port $SASL_PORT on 127.0.0.1 is in use (set RAPPORT_KAFKA_SASL_PORT)"
    else
        cmd_fetch
        write_config
        format_if_needed
        command -v "$JAVA" >/dev/null 2>&1 || die "java not found (set JAVA_HOME or put a JDK 17+ on PATH)"

        local heap=${KAFKA_HEAP_OPTS:--Xmx512m -Xms512m}
        if [[ -f $LOG_FILE ]]; then mv -f -- "$LOG_FILE" "$LOG_FILE.1"; fi
        printf '[%s] kafka.sh: starting Kafka %s on %s, controller 127.0.0.1:%s, data %s\n' \
            "$(date '+%Y-%m-%d %H:%M:%S')" "$KAFKA_VERSION" "$BOOTSTRAP" "$CONTROLLER_PORT" "$DATA_DIR" >"$LOG_FILE"
        say "starting Kafka $KAFKA_VERSION on $BOOTSTRAP (controller 127.0.0.1:$CONTROLLER_PORT), log $LOG_FILE"
        rm -f -- "$PID_FILE"
        t0=$SECONDS
        # shellcheck disable=SC2086  # heap/opts are word lists
        (
            cd "$STATE_DIR"
            # The shell writes its own pid and then execs java, so the pid file
            # holds java's pid whether or not setsid had to fork.
            exec nohup setsid sh -c 'echo $$ >"$0"; exec "$@"' "$PID_FILE" \
                "$JAVA" $heap -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
                -Dlog4j2.configurationFile="$SUPPORT_DIR/log4j2.properties" \
                ${KAFKA_OPTS:-} \
                -cp "$LIBS_DIR/*" kafka.Kafka "$CONFIG_FILE" \
                </dev/null >>"$LOG_FILE" 2>&1 9>&-
        ) &
        local i
        for i in $(seq 50); do
            [[ -s $PID_FILE ]] && break
            sleep 0.1
        done
        pid=$(cat "$PID_FILE" 2>/dev/null || true)
        [[ -n $pid ]] || { log_tail; die "the broker process did not start"; }
    fi

    local rc=0 info
    info=$(probe "$START_TIMEOUT" "$pid") || rc=$?
    case $rc in
        0) say "ready on $BOOTSTRAP after $((SECONDS - t0)) s (pid $pid; $info)" ;;
        2) rm -f -- "$PID_FILE"; log_tail; die "the broker exited during startup" ;;
        *) log_tail; die "the broker (pid $pid) did not answer on $BOOTSTRAP within $START_TIMEOUT s; it is still running ('$0 stop' stops it)" ;;
    esac
}

cmd_stop() {
    take_lock
    local pid
    pid=$(running_pid)
    if [[ -z $pid ]]; then
        say "not running"
        return 0
    fi
    say "stopping pid $pid"
    kill -TERM "$pid" 2>/dev/null || true
    local waited=0
    while alive "$pid"; do
        if ((waited >= STOP_TIMEOUT * 10)); then
            say "still running after $STOP_TIMEOUT s; sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
            sleep 0.5
            break
        fi
        sleep 0.1
        waited=$((waited + 1))
    done
    rm -f -- "$PID_FILE"
    say "stopped"
}

cmd_status() {
    local pid info
    pid=$(running_pid)
    if { [[ -n $pid ]] || port_in_use "$PORT"; } && info=$(probe 2); then
        if [[ -n $pid ]]; then
            say "running (pid $pid) on $BOOTSTRAP; $info"
        else
            say "a broker answers on $BOOTSTRAP (not started by this script); $info"
        fi
        return 0
    fi
    if [[ -n $pid ]]; then
        say "pid $pid is running but not answering on $BOOTSTRAP"
    else
        say "not running"
    fi
    return 1
}

cmd_reset() {
    cmd_stop
    if [[ -d $DATA_DIR ]]; then
        rm -rf -- "$DATA_DIR"
        say "deleted $DATA_DIR"
    fi
}

usage() {
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//'
}

case ${1:-} in
    fetch) cmd_fetch ;;
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    reset) cmd_reset ;;
    -h | --help | help) usage ;;
    *) usage >&2; exit 2 ;;
esac

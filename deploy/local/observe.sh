#!/usr/bin/env bash
# Local observability without Docker: Prometheus (Debian's package) scraping the four services with
# the alert rules loaded, and Zipkin (from Maven Central, deploy/local/zipkin.sh) with its UI; the
# services started by services.sh always export to it (nothing to restart when this starts later).
# usage: observe.sh start|stop|status
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STATE="${RAPPORT_STATE_DIR:-$REPO/.local}/observe"
ZIPKIN="$REPO/deploy/local/zipkin.sh"
ZIPKIN_PORT="${RAPPORT_ZIPKIN_PORT:-9411}"
mkdir -p "$STATE"

ensure_prometheus() {
  command -v prometheus >/dev/null && return
  echo "observe: installing prometheus (Debian package)"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
}

running() { [[ -f "$STATE/$1.pid" ]] && kill -0 "$(cat "$STATE/$1.pid")" 2>/dev/null; }

launch() {
  local name="$1"; shift
  if running "$name"; then echo "observe: $name already running"; return; fi
  setsid nohup "$@" >"$STATE/$name.log" 2>&1 &
  echo $! >"$STATE/$name.pid"
}

start() {
  ensure_prometheus
  cp "$REPO/deploy/prometheus/prometheus.local.yml" "$REPO/deploy/prometheus/alerts.yml" "$STATE/"
  launch prometheus prometheus --config.file="$STATE/prometheus.local.yml" \
    --storage.tsdb.path="$STATE/prometheus-data" --web.listen-address=127.0.0.1:9090
  bash "$ZIPKIN" start
  for _ in $(seq 1 60); do
    if curl -fsS http://127.0.0.1:9090/-/ready >/dev/null 2>&1; then
      echo "observe: Prometheus http://127.0.0.1:9090/ (alerts: http://127.0.0.1:9090/classic/alerts)"
      echo "observe: Zipkin http://127.0.0.1:$ZIPKIN_PORT/zipkin/ (e.g. serviceName=contacts, then a trace)"
      echo "observe: services started by \`make run\` export there, before or after this"
      return
    fi
    sleep 0.5
  done
  echo "observe: not ready; see $STATE/*.log" >&2; exit 1
}

stop() {
  if running prometheus; then kill -TERM "$(cat "$STATE/prometheus.pid")"; echo "observe: prometheus stopped"; fi
  rm -f "$STATE/prometheus.pid"
  bash "$ZIPKIN" stop
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) if running prometheus; then echo "prometheus: running"; else echo "prometheus: stopped"; fi
          bash "$ZIPKIN" status || true ;;
  *) echo "usage: observe.sh start|stop|status" >&2; exit 2 ;;
esac

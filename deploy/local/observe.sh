#!/usr/bin/env bash
# Local observability without Docker: Prometheus (Debian's package) scraping the four services with
# the alert rules loaded, and Jaeger v2 (built once from the Go module proxy) receiving OTLP traces.
# usage: observe.sh start|stop|status
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STATE="${RAPPORT_STATE_DIR:-$REPO/.local}/observe"
CACHE="${RAPPORT_CACHE_DIR:-$HOME/.cache/rapport}"
JAEGER_VERSION=v1.76.0  # the jaeger module's version of Jaeger v2
JAEGER="$CACHE/bin/jaeger-$JAEGER_VERSION"
mkdir -p "$STATE"

ensure_prometheus() {
  command -v prometheus >/dev/null && return
  echo "observe: installing prometheus (Debian package)"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
}

ensure_jaeger() {
  [[ -x "$JAEGER" ]] && return
  echo "observe: building Jaeger $JAEGER_VERSION from the Go module proxy (first time: ~5 min)"
  local source build
  source="$(go mod download -json "github.com/jaegertracing/jaeger@$JAEGER_VERSION" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')"
  build="$(mktemp -d)"
  cp -r "$source/." "$build" && chmod -R u+w "$build"
  # Built inside the module so its own replace directives apply (go install refuses them).
  (cd "$build" && go build -trimpath -o "$JAEGER" ./cmd/jaeger)
  rm -rf "$build"
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
  ensure_jaeger
  cp "$REPO/deploy/prometheus/prometheus.local.yml" "$REPO/deploy/prometheus/alerts.yml" "$STATE/"
  launch prometheus prometheus --config.file="$STATE/prometheus.local.yml" \
    --storage.tsdb.path="$STATE/prometheus-data" --web.listen-address=127.0.0.1:9090
  launch jaeger "$JAEGER" --config "$REPO/deploy/local/jaeger/config.yaml"
  for _ in $(seq 1 60); do
    if curl -fsS http://127.0.0.1:9090/-/ready >/dev/null 2>&1 && curl -fsS http://127.0.0.1:16686/ >/dev/null 2>&1; then
      echo "observe: Prometheus http://127.0.0.1:9090 (alerts: /alerts), Jaeger API http://127.0.0.1:16686/api/traces"
      echo "observe: services export traces when started with OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318"
      return
    fi
    sleep 0.5
  done
  echo "observe: not ready; see $STATE/*.log" >&2; exit 1
}

stop() {
  for name in prometheus jaeger; do
    if running "$name"; then kill -TERM "$(cat "$STATE/$name.pid")"; echo "observe: $name stopped"; fi
    rm -f "$STATE/$name.pid"
  done
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) for n in prometheus jaeger; do if running "$n"; then echo "$n: running"; else echo "$n: stopped"; fi; done ;;
  *) echo "usage: observe.sh start|stop|status" >&2; exit 2 ;;
esac

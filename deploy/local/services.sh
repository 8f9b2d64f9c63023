#!/usr/bin/env bash
# Start/stop Rapport's services as background processes for local runs.
# usage: services.sh start|stop|status SERVICE...
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STATE="${RAPPORT_STATE_DIR:-$REPO/.local}"
PY="$REPO/.venv/bin/python"
mkdir -p "$STATE/services" "$STATE/logs"

port_of() {
  case "$1" in contacts) echo 8001 ;; feedback) echo 8002 ;; notifications) echo 8003 ;; metrics) echo 8004 ;;
    mail) echo 2525 ;;
    *) echo "unknown service: $1" >&2; exit 2 ;; esac
}

running() { [[ -f "$STATE/services/$1.pid" ]] && kill -0 "$(cat "$STATE/services/$1.pid")" 2>/dev/null; }

start_mail_sink() {
  if running mail; then echo "mail: already running on :2525"; return; fi
  setsid nohup "$PY" "$REPO/deploy/local/mail_sink.py" --dir "$STATE/mail" >>"$STATE/logs/mail.log" 2>&1 &
  echo $! >"$STATE/services/mail.pid"
  echo "mail: SMTP sink on 127.0.0.1:2525, messages in $STATE/mail/"
}

start_one() {
  local service="$1" port
  [[ "$service" == mail ]] && { start_mail_sink; return; }
  port="$(port_of "$service")"
  if running "$service"; then echo "$service: already running on :$port"; return; fi
  local prefix="RAPPORT_${service^^}_"
  # Always export to the local Zipkin (`make observe`), whether it runs yet or not: spans are
  # dropped quietly while nothing listens, so `make observe` before or after `make run` both work.
  local traces=("OTEL_TRACES_EXPORTER=zipkin"
    "OTEL_EXPORTER_ZIPKIN_ENDPOINT=http://127.0.0.1:${RAPPORT_ZIPKIN_PORT:-9411}/api/v2/spans")
  env "${prefix}HTTP_PORT=$port" "${prefix}ENVIRONMENT=development" "${traces[@]}" \
    setsid nohup "$PY" -m "rapport_$service" >>"$STATE/logs/$service.log" 2>&1 &
  echo $! >"$STATE/services/$service.pid"
  for _ in $(seq 1 120); do
    if curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then
      echo "$service: ready on http://127.0.0.1:$port (docs /docs, metrics /metrics)"; return
    fi
    running "$service" || { echo "$service: exited; log tail:" >&2; tail -20 "$STATE/logs/$service.log" >&2; exit 1; }
    sleep 0.5
  done
  echo "$service: not ready after 60 s; see $STATE/logs/$service.log" >&2; exit 1
}

stop_one() {
  local service="$1" pid
  running "$service" || { rm -f "$STATE/services/$service.pid"; echo "$service: not running"; return; }
  pid="$(cat "$STATE/services/$service.pid")"
  kill -TERM "$pid"
  for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  rm -f "$STATE/services/$service.pid"
  echo "$service: stopped"
}

command="${1:-}"; shift || true
for service in "$@"; do
  case "$command" in
    start) start_one "$service" ;;
    stop) stop_one "$service" ;;
    status) if running "$service"; then echo "$service: running"; else echo "$service: stopped"; fi ;;
    *) echo "usage: services.sh start|stop|status SERVICE..." >&2; exit 2 ;;
  esac
done

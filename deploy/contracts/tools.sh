#!/usr/bin/env bash
# The official contract tools, pinned by package-lock.json and installed on first use into
# ~/.cache/rapport/npm/<hash of the lock> (npm ci: exactly the locked tree, no install scripts).
#   tools.sh install                      install if missing; print the directory
#   tools.sh asyncapi FILE...             @asyncapi/parser: every diagnostic, fails on an error
#   tools.sh models FILE OUTDIR...        @asyncapi/modelina: Python models of each FILE into its OUTDIR
#   tools.sh redocly FILE...              @redocly/cli lint with the repository's redocly.yaml
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
LOCK_HASH="$(cat "$HERE/package.json" "$HERE/package-lock.json" | sha256sum | cut -c1-16)"
TOOLS="${RAPPORT_CACHE_DIR:-$HOME/.cache/rapport}/npm/$LOCK_HASH"

install() {
  [[ -f "$TOOLS/.installed" ]] && return
  if ! command -v npm >/dev/null; then
    echo "contract tools: installing node and npm (Debian packages)" >&2
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
  fi
  echo "contract tools: installing @asyncapi/parser, @asyncapi/modelina, @redocly/cli into $TOOLS" >&2
  local started=$SECONDS
  rm -rf "$TOOLS" && mkdir -p "$TOOLS"
  cp "$HERE/package.json" "$HERE/package-lock.json" "$TOOLS/"
  (cd "$TOOLS" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error \
    --cache "$TOOLS/../.npm-cache" >/dev/null)
  touch "$TOOLS/.installed"
  echo "contract tools: installed in $((SECONDS - started)) s" >&2
}

install
export NODE_PATH="$TOOLS/node_modules"
# Redocly's banners and telemetry have nothing to do with the result.
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true NODE_NO_WARNINGS=1
command="${1:-install}"
shift || true
case "$command" in
  install) echo "$TOOLS" ;;
  asyncapi) node "$HERE/validate_asyncapi.cjs" "$@" ;;
  models) node "$HERE/generate_models.cjs" "$@" ;;
  redocly) "$TOOLS/node_modules/.bin/redocly" lint --config "$REPO/redocly.yaml" --format=stylish "$@" ;;
  *) echo "usage: tools.sh install|asyncapi|models|redocly ..." >&2; exit 2 ;;
esac

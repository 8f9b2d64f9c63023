#!/usr/bin/env bash
# The kustomize the project validates its manifests with (deploy/check.sh, tests/deploy/):
#   bash deploy/kustomize.sh build deploy/k8s/overlays/production
# Built on first use from the Go module proxy into ${RAPPORT_CACHE_DIR:-~/.cache/rapport}/bin.
set -euo pipefail
BIN="${RAPPORT_CACHE_DIR:-$HOME/.cache/rapport}/bin"
KUSTOMIZE_VERSION=v5.7.1  # v5.8 needs Go 1.27

if [[ ! -x "$BIN/kustomize" ]]; then
  echo "kustomize: building $KUSTOMIZE_VERSION into $BIN" >&2
  mkdir -p "$BIN"
  GOBIN="$BIN" go install "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION" >&2
fi
exec "$BIN/kustomize" "$@"

#!/usr/bin/env bash
# Validate what a platform team applies: Prometheus rules, every kustomize overlay, compose file,
# and the committed AsyncAPI document (the served ones: tests/deploy/test_served_contracts.py).
# Installs its tools on first use: promtool and docker-compose from Debian's packages, kustomize
# from the Go module proxy (deploy/kustomize.sh, cached in ~/.cache/rapport/bin), the AsyncAPI
# parser, Modelina and Redocly CLI from npm at the versions deploy/contracts/package-lock.json pins
# (~/.cache/rapport/npm).
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

ensure_tools() {
  if ! command -v promtool >/dev/null || ! command -v docker-compose >/dev/null; then
    echo "check: installing promtool and docker-compose (Debian packages)"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus docker-compose >/dev/null
  fi
}

ensure_tools
promtool check rules "$REPO/deploy/prometheus/alerts.yml"
promtool check config "$REPO/deploy/prometheus/prometheus.local.yml" >/dev/null
for kustomization in "$REPO"/deploy/k8s/services/*/ "$REPO"/deploy/k8s/overlays/*/; do
  bash "$REPO/deploy/kustomize.sh" build "$kustomization" >/dev/null
  echo "kustomize build ${kustomization#"$REPO"/}: ok"
done
docker-compose -f "$REPO/docker-compose.yml" config -q
echo "docker-compose config: ok"
bash "$REPO/deploy/contracts/tools.sh" asyncapi "$REPO/shared/schemas/rapport_schemas/asyncapi.json"

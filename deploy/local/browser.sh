#!/usr/bin/env bash
# Debian's Chromium and ChromeDriver for the browser tests (Playwright drives the system
# executable; it never downloads a browser of its own). Needs root or sudo for apt-get.
set -euo pipefail

have() { [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; }

case "${1:-install}" in
  install)
    if have; then exit 0; fi
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "installing Debian's chromium and chromium-driver (apt-get)…"
    $sudo apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q chromium chromium-driver >/dev/null
    have || { echo "chromium did not install" >&2; exit 1; }
    ;;
  status)
    have && /usr/bin/chromium --version 2>/dev/null || { echo "chromium: not installed"; exit 1; }
    ;;
  *) echo "usage: $0 install|status" >&2; exit 2 ;;
esac

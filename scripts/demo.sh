#!/usr/bin/env bash
# Local demo: the 5G testbed (gNB, AMF, SMF, two UPFs, NRF, AUSF, UDM, PCF in
# network namespaces behind a bridge) running N4 and N3/N9 traffic, the
# exporter attached to it, and a live view of what the exporter measures:
# latency per NF pair and procedure, and kernel packet drops. Ctrl-C removes
# everything it created. Needs root.
#   sudo scripts/demo.sh [--duration 10m] [--scenario FILE.json]
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "demo: needs root (eBPF, tc, network namespaces): sudo $0" >&2; exit 1; }

DURATION=10m
SCENARIO=()
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) DURATION=$2; shift 2 ;;
    --scenario) SCENARIO=(--scenario "$2"); shift 2 ;;
    -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "demo: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

bash scripts/setup.sh

LISTEN=${NFSCOPE_LISTEN:-127.0.0.1:9810}
WORK=$(mktemp -d /tmp/nfscope-demo-XXXXXX)
PIDS=()
cleanup() {
  trap - INT TERM EXIT
  echo
  echo "[demo] stopping"
  # SIGINT first: the testbed removes its namespaces, the exporter detaches.
  for p in "${PIDS[@]}"; do kill -INT "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
  echo "[demo] removed namespaces, interfaces and programs"
}
trap cleanup INT TERM EXIT

# The testbed waits 3 s before its traffic starts, so that the exporter is attached first.
node sim/bin/nfscope.js testbed --duration "$DURATION" "${SCENARIO[@]}" --config-out "$WORK/config.yaml" \
  --record "$WORK/record.json" --start-delay 3s --quiet &
PIDS+=($!)
for _ in $(seq 100); do [ -s "$WORK/config.yaml" ] && break; sleep 0.1; done
[ -s "$WORK/config.yaml" ] || { echo "demo: the testbed did not start" >&2; exit 1; }

node exporter/bin/nfscope-exporter.js --config "$WORK/config.yaml" --listen "$LISTEN" 2> "$WORK/exporter.log" &
PIDS+=($!)
for _ in $(seq 50); do curl -sf "http://$LISTEN/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
curl -sf "http://$LISTEN/readyz" >/dev/null || { cat "$WORK/exporter.log" >&2; exit 1; }
echo "[demo] exporter on http://$LISTEN (metrics: /metrics, summary: /api/v1/summary); Ctrl-C to stop"

node scripts/show-summary.js "http://$LISTEN" &
PIDS+=($!)
wait "${PIDS[0]}" || true

#!/usr/bin/env bash
# Local demo: the 5G testbed (gNB, AMF, SMF, two UPFs, NRF, AUSF, UDM, PCF in
# network namespaces behind a bridge) running N2, N3/N9, N4 and SBI traffic, the
# exporter attached to it, Prometheus (Debian's, on its own port and storage)
# scraping the exporter with nfscope's alerting rules loaded, and a live view
# of what the exporter measures: latency per NF pair and procedure, and
# kernel packet drops (`nfscope top` where it is built). Ctrl-C, or the end of
# the traffic, removes everything it created. Needs root.
#   sudo scripts/demo.sh [--duration 10m] [--scenario FILE.json] [--no-setup]
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "demo: needs root (eBPF, tc, network namespaces): sudo $0" >&2; exit 1; }

DURATION=10m
SCENARIO=()
SETUP=true
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) DURATION=$2; shift 2 ;;
    --scenario) SCENARIO=(--scenario "$2"); shift 2 ;;
    --no-setup) SETUP=false; shift ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "demo: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

if $SETUP; then bash scripts/setup.sh; fi

LISTEN=${NFSCOPE_LISTEN:-127.0.0.1:9810}
# Not 9090: a Prometheus service of the machine (Debian's package starts one
# on install) keeps its port and its data.
PROM_LISTEN=${NFSCOPE_PROMETHEUS_LISTEN:-127.0.0.1:9811}
WORK=$(mktemp -d /tmp/nfscope-demo-XXXXXX)
PIDS=()
cleanup() {
  trap - INT TERM EXIT
  echo
  echo "[demo] stopping"
  # SIGINT first: the testbed removes its namespaces, the exporter detaches,
  # Prometheus closes its storage. Whatever still runs after 10 s is killed
  # (the kernel removes tcx links of a killed exporter; the testbed's exit
  # hook has run by then or the namespaces go with --down).
  for p in "${PIDS[@]}"; do kill -INT "$p" 2>/dev/null || true; done
  [ -z "${VIEW_PID:-}" ] || kill -TERM "$VIEW_PID" 2>/dev/null || true
  for _ in $(seq 100); do
    alive=false
    for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=true; done
    $alive || break
    sleep 0.1
  done
  for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
  echo "[demo] removed namespaces, interfaces, programs and Prometheus's data"
}
trap cleanup INT TERM EXIT

# The testbed waits 3 s before its traffic starts, so that the exporter is attached first.
node cli/bin/nfscope.js testbed --duration "$DURATION" "${SCENARIO[@]}" --config-out "$WORK/config.yaml" \
  --record "$WORK/record.json" --start-delay 3s --quiet &
PIDS+=($!)
for _ in $(seq 100); do [ -s "$WORK/config.yaml" ] && break; sleep 0.1; done
[ -s "$WORK/config.yaml" ] || { echo "demo: the testbed did not start" >&2; exit 1; }

cli/bin/nfscope.js exporter --config "$WORK/config.yaml" --listen "$LISTEN" --detach-on-exit 2> "$WORK/exporter.log" &
PIDS+=($!)
for _ in $(seq 50); do curl -sf "http://$LISTEN/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
curl -sf "http://$LISTEN/readyz" >/dev/null || { cat "$WORK/exporter.log" >&2; exit 1; }

# Prometheus scrapes the exporter every 2 s and evaluates nfscope's alerting
# rules (job `nfscope`, as in provisioning/prometheus/prometheus.yml).
cat > "$WORK/prometheus.yml" <<EOF
global: { scrape_interval: 2s, scrape_timeout: 2s, evaluation_interval: 10s }
rule_files: ["$PWD/provisioning/prometheus/rules/*.yml"]
scrape_configs:
  - job_name: nfscope
    static_configs: [{ targets: ["$LISTEN"] }]
EOF
prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/prometheus" \
  --web.listen-address="$PROM_LISTEN" --log.level=warn 2> "$WORK/prometheus.log" &
PIDS+=($!)
for _ in $(seq 100); do curl -sf "http://$PROM_LISTEN/-/ready" >/dev/null 2>&1 && break; sleep 0.2; done
curl -sf "http://$PROM_LISTEN/-/ready" >/dev/null || { cat "$WORK/prometheus.log" >&2; exit 1; }

echo "[demo] exporter:   http://$LISTEN (metrics: /metrics, summary: /api/v1/summary)"
echo "[demo] Prometheus: http://$PROM_LISTEN (alerts: /alerts); try"
echo "[demo]   histogram_quantile(0.99, sum by (client_nf, server_nf, procedure, le) (rate(nfscope_request_duration_seconds_bucket[1m])))"
echo "[demo] Ctrl-C stops everything"

# The live view: `nfscope top` where this build has it (redrawn in place on a
# terminal; one view every 2 s when the output is a pipe or a file), else the
# summary printer.
if node cli/bin/nfscope.js top --help >/dev/null 2>&1; then
  if [ -t 1 ]; then
    VIEW=(node cli/bin/nfscope.js top --url "http://$LISTEN")
  else
    # (SIGTERM ends the loop: a background job of a script ignores SIGINT)
    VIEW=(bash -c 'trap "exit 0" TERM; while :; do node cli/bin/nfscope.js top --once --url "$1" || true; echo; sleep 2 & wait $!; done' view "http://$LISTEN")
  fi
else
  VIEW=(node scripts/show-summary.js "http://$LISTEN")
fi
# A background job's standard input is /dev/null: give the view the terminal, for its keys.
if [ -t 0 ]; then "${VIEW[@]}" < /dev/tty & else "${VIEW[@]}" & fi
VIEW_PID=$!
PIDS+=($VIEW_PID)
# Until the traffic ends or the view is quit; then cleanup (EXIT).
wait -n "${PIDS[0]}" "${PIDS[-1]}" || true

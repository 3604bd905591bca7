#!/usr/bin/env bash
# The exporter's own CPU and memory while it measures the 5G testbed's
# traffic: the basis of the Kubernetes requests and limits
# (deploy/kubernetes/daemonset.yaml, docs/deploy.md). Needs root.
#   sudo bench/exporter-footprint.sh [--seconds 60] [--scenario FILE.json]
# Method: the testbed runs its default scenario (or FILE) for SECONDS; the
# exporter attached to it is sampled once a second from /proc: resident set
# size (VmRSS), peak (VmHWM), and CPU time (utime+stime); while it runs,
# /metrics and /api/v1/summary are fetched once a second, as a Prometheus
# scrape and a Grafana refresh would. Prints one JSON line.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "exporter-footprint: needs root" >&2; exit 1; }
SECONDS_RUN=60
SCENARIO=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) SECONDS_RUN=$2; shift 2 ;;
    --scenario) SCENARIO=(--scenario "$2"); shift 2 ;;
    -h | --help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "exporter-footprint: unknown argument $1" >&2; exit 2 ;;
  esac
done
WORK=$(mktemp -d /tmp/nfscope-footprint-XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -INT "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM
node cli/bin/nfscope.js testbed --duration "$((SECONDS_RUN + 5))s" "${SCENARIO[@]}" --config-out "$WORK/config.yaml" --start-delay 3s --quiet >/dev/null &
PIDS+=($!)
for _ in $(seq 100); do [ -s "$WORK/config.yaml" ] && break; sleep 0.1; done
PORT=$((20000 + RANDOM % 20000))
node exporter/bin/nfscope-exporter.js --config "$WORK/config.yaml" --listen "127.0.0.1:$PORT" --detach-on-exit 2>"$WORK/exporter.log" &
EX=$!
PIDS+=($EX)
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
TICK=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$EX/stat"; }
c0=$(cpu); t0=$(date +%s.%N); rss_max=0; rss_sum=0; n=0
for _ in $(seq "$SECONDS_RUN"); do
  sleep 1
  curl -sf "http://127.0.0.1:$PORT/metrics" >/dev/null
  curl -sf "http://127.0.0.1:$PORT/api/v1/summary?window=60s" >/dev/null
  rss=$(awk '/^VmRSS/ {print $2}' "/proc/$EX/status")
  rss_sum=$((rss_sum + rss)); n=$((n + 1)); [ "$rss" -gt "$rss_max" ] && rss_max=$rss
done
c1=$(cpu); t1=$(date +%s.%N)
hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$EX/status")
series=$(curl -sf "http://127.0.0.1:$PORT/metrics" | grep -c '^nfscope_request_duration_seconds_count')
node -e '
const [c0, c1, t0, t1, tick, rssMax, rssSum, n, hwm, series, secs] = process.argv.slice(1).map(Number);
console.log(JSON.stringify({ seconds: secs, latency_series: series, cpu_cores_mean: +(((c1 - c0) / tick) / (t1 - t0)).toFixed(4),
  rss_mib_mean: +(rssSum / n / 1024).toFixed(1), rss_mib_max: +(rssMax / 1024).toFixed(1), rss_mib_peak: +(hwm / 1024).toFixed(1),
  kernel: require("os").release(), node: process.version }));
' "$c0" "$c1" "$t0" "$t1" "$TICK" "$rss_max" "$rss_sum" "$n" "$hwm" "$series" "$SECONDS_RUN"

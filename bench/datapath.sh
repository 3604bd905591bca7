#!/usr/bin/env bash
# nfscope datapath benchmark: per-packet cost of the tc programs from the
# kernel's bpf_stats, and iperf3 throughput with and without the exporter
# attached. As root, from anywhere:
#
#   sudo bench/datapath.sh [--packets N] [--reps N] [--rounds N] [--seconds S] [--no-throughput] [--no-per-packet]
#   bench/datapath.sh --help          (every option)
#
# Builds the project first when something is missing or older than its
# sources (scripts/setup.sh; the benchmarks alone: npm run build:bench),
# installs iperf3 when it is missing, then runs bench/dist/datapath.js
# (compiled from bench/datapath.ts). Takes about three minutes with the defaults and never
# more than five. Prints progress, then a markdown table; writes the results to
# bench/results/datapath-<date>.json (and .md). Exit status: 0 all targets met,
# 3 a target missed, 2 a bad command line, 1 the benchmark could not run.
# Method: bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."

case "${1:-}" in -h | --help) [ -f bench/dist/datapath.js ] || npm run -s build:bench; exec node bench/dist/datapath.js --help ;; esac

if [ "$(id -u)" -ne 0 ]; then
  echo "bench/datapath.sh: needs root (eBPF, tc, network namespaces); run: sudo $0 $*" >&2
  exit 1
fi

stale=""
for f in bpf/build/drops.bpf.o bpf/build/traffic.bpf.o exporter/build/Release/nfscope_bpf.node exporter/dist/main.js sim/dist/index.js bench/dist/datapath.js node_modules/.package-lock.json; do
  [ -e "$f" ] || stale="$f is missing"
done
if [ -z "$stale" ]; then
  if [ -n "$(find bpf -maxdepth 1 \( -name '*.c' -o -name '*.h' \) -newer bpf/build/traffic.bpf.o -print -quit)" ]; then
    stale="bpf/ changed since the last build"
  elif [ -n "$(find exporter/src -name '*.ts' ! -name '*.test.ts' -newer exporter/dist/main.js -print -quit)" ]; then
    stale="exporter/src changed since the last build"
  elif [ -n "$(find sim/src -name '*.ts' ! -name '*.test.ts' -newer sim/dist/index.js -print -quit)" ]; then
    stale="sim/src changed since the last build"
  elif [ -n "$(find bench -name '*.ts' ! -path 'bench/dist/*' -newer bench/dist/datapath.js -print -quit)" ]; then
    stale="bench/ changed since the last build"
  fi
fi
if [ -n "$stale" ]; then
  echo "[bench] building first ($stale)"
  bash scripts/setup.sh
fi

for tool in iperf3 bpftool clang taskset h2load nghttpd; do
  if ! command -v "$tool" >/dev/null; then
    if [ "$tool" = iperf3 ]; then
      echo "[bench] installing iperf3"
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends iperf3 >/dev/null
    else
      echo "bench/datapath.sh: $tool is missing (scripts/setup.sh installs it)" >&2
      exit 1
    fi
  fi
done

exec node bench/dist/datapath.js "$@"

#!/usr/bin/env bash
# SBI datapath replay: BPF_PROG_TEST_RUN of captured h2c traffic through one
# or more builds of traffic_ingress, taking turns packet by packet (method in
# bench/README.md, "SBI per-packet cost"). As root:
#
#   bench/sbi-replay.sh [--passes N] [--thrash MIB] [OBJECT...]   (default OBJECT: bpf/build/traffic.bpf.o)
#
# Captures once, into bench/results/sbi-replay/ (not in git): h2load -> nghttpd
# (GET of a 100-octet JSON file, 2000 requests, one connection) on the
# loopback of a namespace of its own (nfscope-sbirep-<id>, removed at the
# end), once with one stream at a time and once with 16 in flight.
set -euo pipefail
cd "$(dirname "$0")/.."
passes=3 thrash=0 objs=()
while [ $# -gt 0 ]; do
  case "$1" in
    --passes) passes=$2; shift 2 ;;
    --thrash) thrash=$2; shift 2 ;;
    -h | --help) sed -n '2,12p' "$0"; exit 0 ;;
    *) [ -f "$1" ] || { echo "sbi-replay.sh: no object $1" >&2; exit 1; }; objs+=("$1"); shift ;;
  esac
done
[ ${#objs[@]} -gt 0 ] || objs=(bpf/build/traffic.bpf.o)
[ "$(id -u)" -eq 0 ] || { echo "sbi-replay.sh: needs root (BPF_PROG_TEST_RUN, a network namespace)" >&2; exit 1; }
for tool in h2load nghttpd dumpcap gcc; do
  command -v $tool >/dev/null || { echo "sbi-replay.sh: $tool is missing (scripts/setup.sh installs it)" >&2; exit 1; }
done

dir=bench/results/sbi-replay
mkdir -p $dir
ns="" tmp="" srv="" cap=""
cleanup() {
  [ -z "$srv$cap" ] || kill $srv $cap 2>/dev/null || true
  sleep 0.2
  [ -z "$ns" ] || ip netns del "$ns" 2>/dev/null || true
  [ -z "$tmp" ] || rm -rf "$tmp"
  ns="" tmp="" srv="" cap=""
}
trap cleanup EXIT
capture() { # streams, file
  ns=nfscope-sbirep-$(head -c3 /dev/urandom | od -An -tx1 | tr -d ' \n')
  tmp=$(mktemp -d)
  ip netns add "$ns"
  ip -n "$ns" link set lo mtu 1500 up
  printf '%s' '{"gpsis":["msisdn-001010000000001"],"subscribedUeAmbr":{"uplink":"1 Gbps","downlink":"2 Gbps"}}' > "$tmp/am-data"
  ip netns exec "$ns" dumpcap -q -P -i lo -f 'tcp port 7777' -w "$tmp/cap.pcap" 2>/dev/null & cap=$!
  ip netns exec "$ns" nghttpd --no-tls -d "$tmp" 7777 & srv=$!
  sleep 1
  if ! ip netns exec "$ns" h2load -n 2000 -c 1 -m "$1" http://127.0.0.1:7777/am-data | grep -q '2000 succeeded'; then
    echo "sbi-replay.sh: h2load failed" >&2
    exit 1
  fi
  sleep 0.5
  kill -INT $cap; wait $cap || true
  cap=""
  mv "$tmp/cap.pcap" "$2"
  cleanup
}
[ -s $dir/single.pcap ] || { echo "[sbi-replay] capturing one stream at a time"; capture 1 $dir/single.pcap; }
[ -s $dir/multi.pcap ] || { echo "[sbi-replay] capturing 16 streams in flight"; capture 16 $dir/multi.pcap; }
gcc -O2 -Wall -o $dir/sbi-replay bench/tools/sbi-replay.c -lbpf
for c in single multi; do
  echo "[sbi-replay] $c: $passes passes, THRASH $thrash MiB"
  THRASH=$thrash taskset -c "$(($(nproc) - 1))" $dir/sbi-replay $dir/$c.pcap "$passes" "${objs[@]}" 2>&1 | grep -v '^libbpf: '
done

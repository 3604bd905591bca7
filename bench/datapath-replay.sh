#!/usr/bin/env bash
# Datapath replay: BPF_PROG_TEST_RUN of captured 5G traffic through one or
# more builds of traffic_ingress, taking turns packet by packet (method in
# bench/README.md, "Replaying captures"). As root:
#
#   bench/datapath-replay.sh [--passes N] [--thrash MIB] [--class C,...] [OBJECT...]
#       (default OBJECT: bpf/build/traffic.bpf.o)
#
# Classes (default: all): pfcp-heartbeat, pfcp-session, gtpu-echo, ngap
# (2000 request/response exchanges each, at most 16 unanswered, between two
# namespaces joined by a veth pair), sbi-single, sbi-multi (h2load -> nghttpd,
# GET of a 100-octet JSON file, 2000 requests on one connection, one stream
# at a time or 16 in flight, on the loopback of a namespace). Each class is
# captured once, into bench/results/replay/ (not in git); the namespaces
# (nfscope-rep-<id>) are removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
passes=3 thrash=0 objs=() classes=pfcp-heartbeat,pfcp-session,gtpu-echo,ngap,sbi-single,sbi-multi
while [ $# -gt 0 ]; do
  case "$1" in
    --passes) passes=$2; shift 2 ;;
    --thrash) thrash=$2; shift 2 ;;
    --class) classes=$2; shift 2 ;;
    -h | --help) sed -n '2,15p' "$0"; exit 0 ;;
    -*) echo "datapath-replay.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) [ -f "$1" ] || { echo "datapath-replay.sh: no object $1" >&2; exit 1; }; objs+=("$1"); shift ;;
  esac
done
[ ${#objs[@]} -gt 0 ] || objs=(bpf/build/traffic.bpf.o)
[ "$(id -u)" -eq 0 ] || { echo "datapath-replay.sh: needs root (BPF_PROG_TEST_RUN, network namespaces)" >&2; exit 1; }
[ -f bench/dist/tools/udp-peer.js ] || { echo "datapath-replay.sh: the benchmarks are not built (npm run build:bench)" >&2; exit 1; }
for tool in h2load nghttpd dumpcap gcc node; do
  command -v $tool >/dev/null || { echo "datapath-replay.sh: $tool is missing (scripts/setup.sh installs it)" >&2; exit 1; }
done
for c in ${classes//,/ }; do
  case $c in pfcp-heartbeat | pfcp-session | gtpu-echo | ngap | sbi-single | sbi-multi) ;;
    *) echo "datapath-replay.sh: unknown class $c (see --help)" >&2; exit 2 ;;
  esac
done

dir=bench/results/replay
mkdir -p $dir
nss=() pids=() tmp=""
cleanup() {
  [ ${#pids[@]} -eq 0 ] || kill "${pids[@]}" 2>/dev/null || true
  sleep 0.2
  for ns in "${nss[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
  [ -z "$tmp" ] || rm -rf "$tmp"
  nss=() pids=() tmp=""
}
trap cleanup EXIT
newns() { # a new namespace with lo up, its name in $NEWNS (not printed: a $(newns) subshell would not record it for cleanup)
  NEWNS=nfscope-rep-$(head -c3 /dev/urandom | od -An -tx1 | tr -d ' \n')
  nss+=("$NEWNS")
  ip netns add "$NEWNS"
  ip -n "$NEWNS" link set lo mtu 1500 up
}
stopcap() { # pid file: stop dumpcap once its file has stopped growing
  local last=-1 size
  for _ in $(seq 20); do
    size=$(stat -c %s "$2" 2>/dev/null || echo 0)
    [ "$size" = "$last" ] && break
    last=$size
    sleep 0.1
  done
  kill -INT "$1"
  wait "$1" || true
}
waitready() { # file: wait until a peer printed "ready"
  for _ in $(seq 100); do grep -q ready "$1" 2>/dev/null && return 0; sleep 0.05; done
  echo "datapath-replay.sh: a peer did not start: $(cat "$1")" >&2
  exit 1
}

# Two namespaces, a (198.18.0.1) and b (198.18.0.2), joined by a veth pair; the
# capture is taken on a's end. $1: class.
capture_pair() {
  local a b peer req resp filt cap
  newns; a=$NEWNS
  newns; b=$NEWNS
  tmp=$(mktemp -d)
  ip link add rep0 netns "$a" type veth peer name rep1 netns "$b"
  ip -n "$a" addr add 198.18.0.1/24 dev rep0
  ip -n "$b" addr add 198.18.0.2/24 dev rep1
  ip -n "$a" link set rep0 up
  ip -n "$b" link set rep1 up
  case $1 in
    pfcp-heartbeat | pfcp-session | gtpu-echo)
      local port=8805
      [ "$1" = gtpu-echo ] && port=2152
      peer=bench/dist/tools/udp-peer.js filt="udp port $port"
      resp=(respond --port $port --kind "$1" --idle-ms 5000)
      req=(request --to 198.18.0.2 --port $port --kind "$1" --count 2000 --window 16) ;;
    ngap)
      peer=bench/dist/tools/sctp-peer.js filt="sctp"
      resp=(respond --idle-ms 5000)
      req=(request --to 198.18.0.2 --count 2000 --window 16) ;;
  esac
  ip netns exec "$a" dumpcap -q -P -B 32 -i rep0 -f "$filt" -w "$tmp/cap.pcap" 2>/dev/null & cap=$!
  pids+=($cap)
  ip netns exec "$b" node $peer "${resp[@]}" > "$tmp/resp.out" 2>&1 & pids+=($!)
  waitready "$tmp/resp.out"
  sleep 0.5
  ip netns exec "$a" node $peer "${req[@]}" > "$tmp/req.out" 2>&1 || { echo "datapath-replay.sh: $1 requests failed: $(cat "$tmp/req.out")" >&2; exit 1; }
  stopcap $cap "$tmp/cap.pcap"
  mv "$tmp/cap.pcap" "$dir/$1.pcap"
  cleanup
}

# h2load -> nghttpd on the loopback of one namespace. $1: class, $2: streams in flight.
capture_sbi() {
  local ns srv cap
  newns; ns=$NEWNS
  tmp=$(mktemp -d)
  printf '%s' '{"gpsis":["msisdn-001010000000001"],"subscribedUeAmbr":{"uplink":"1 Gbps","downlink":"2 Gbps"}}' > "$tmp/am-data"
  ip netns exec "$ns" dumpcap -q -P -B 32 -i lo -f 'tcp port 7777' -w "$tmp/cap.pcap" 2>/dev/null & cap=$!
  pids+=($cap)
  ip netns exec "$ns" nghttpd --no-tls -d "$tmp" 7777 & srv=$!
  pids+=($srv)
  sleep 1
  if ! ip netns exec "$ns" h2load -n 2000 -c 1 -m "$2" http://127.0.0.1:7777/am-data | grep -q '2000 succeeded'; then
    echo "datapath-replay.sh: h2load failed" >&2
    exit 1
  fi
  stopcap $cap "$tmp/cap.pcap"
  mv "$tmp/cap.pcap" "$dir/$1.pcap"
  cleanup
}

gcc -O2 -Wall -o $dir/replay bench/tools/replay.c -lbpf
for c in ${classes//,/ }; do
  if [ ! -s $dir/$c.pcap ]; then
    echo "[replay] capturing $c"
    case $c in
      sbi-single) capture_sbi $c 1 ;;
      sbi-multi) capture_sbi $c 16 ;;
      *) capture_pair $c ;;
    esac
  fi
  echo "[replay] $c: $passes passes, THRASH $thrash MiB"
  THRASH=$thrash taskset -c "$(($(nproc) - 1))" $dir/replay $dir/$c.pcap "$passes" "${objs[@]}" 2>&1 | grep -v '^libbpf: '
done

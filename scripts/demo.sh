#!/usr/bin/env bash
# Local demo: three 5G test hosts (gNB, UPF, SMF) in network namespaces behind
# a bridge, the exporter attached to them, and traffic that the UPF's kernel
# drops (nothing listens on its GTP-U and PFCP ports; some datagrams carry a
# bad UDP checksum). Shows what the exporter reports every two seconds.
# Ctrl-C removes everything it created. Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "demo: needs root (eBPF, tc, network namespaces): sudo $0" >&2; exit 1; }

bash scripts/setup.sh

LISTEN=${NFSCOPE_LISTEN:-127.0.0.1:9810}
ID=$(printf '%04x' $((RANDOM)))
BR="nfdemo${ID}"
WORK=$(mktemp -d /tmp/nfscope-demo-XXXXXX)
HOSTS=(gnb:198.18.0.1 upf:198.18.0.2 smf:198.18.0.3)
PIDS=()

cleanup() {
  trap - INT TERM EXIT
  echo
  echo "[demo] stopping"
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  for h in "${HOSTS[@]}"; do ip netns del "nfdemo-${ID}-${h%%:*}" 2>/dev/null || true; done
  ip link del "$BR" 2>/dev/null || true
  rm -rf "$WORK"
  echo "[demo] removed namespaces, interfaces and programs"
}
trap cleanup INT TERM EXIT

ip link add "$BR" type bridge && ip link set "$BR" up
i=0
for h in "${HOSTS[@]}"; do
  name=${h%%:*} addr=${h#*:} ns="nfdemo-${ID}-${name}" veth="nfdv${ID}${i}"
  ip netns add "$ns"
  ip link add "$veth" type veth peer name eth0 netns "$ns"
  ip link set "$veth" master "$BR" up
  ip -n "$ns" addr add "$addr/24" dev eth0
  ip -n "$ns" link set eth0 up
  ip -n "$ns" link set lo up
  i=$((i + 1))
done

cat > "$WORK/config.yaml" <<YAML
node: demo
interfaces: ["nfdv${ID}*"]
nfs:
  - { name: gnb-1, type: gNB, addresses: ["198.18.0.1"] }
  - { name: upf-1, type: UPF, addresses: ["198.18.0.2"] }
  - { name: smf-1, type: SMF, addresses: ["198.18.0.3"] }
YAML

node exporter/bin/nfscope-exporter.js --config "$WORK/config.yaml" --listen "$LISTEN" 2> "$WORK/exporter.log" &
PIDS+=($!)
for _ in $(seq 50); do curl -sf "http://$LISTEN/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
curl -sf "http://$LISTEN/readyz" >/dev/null || { cat "$WORK/exporter.log" >&2; exit 1; }
echo "[demo] exporter on http://$LISTEN (metrics: /metrics, summary: /api/v1/summary); Ctrl-C to stop"

# Traffic: a burst every second, bounded to ten minutes.
(
  for _ in $(seq 600); do
    ip netns exec "nfdemo-${ID}-gnb" node test/tools/send-udp.js --to 198.18.0.2 --port 2152 --count $((RANDOM % 5 + 1)) >/dev/null
    ip netns exec "nfdemo-${ID}-gnb" node test/tools/send-udp.js --to 198.18.0.2 --port 2152 --count 1 --bad-checksum >/dev/null
    ip netns exec "nfdemo-${ID}-smf" node test/tools/send-udp.js --to 198.18.0.2 --port 8805 --count $((RANDOM % 3 + 1)) >/dev/null
    sleep 1
  done
) &
PIDS+=($!)

node scripts/show-summary.js "http://$LISTEN" &
PIDS+=($!)
wait "${PIDS[1]}"

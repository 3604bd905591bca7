#!/usr/bin/env bash
# Installs what nfscope needs on Debian (12 or later) and builds it. Idempotent:
# a second run installs nothing and rebuilds only what changed. Needs root for
# the Debian packages.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '[setup] %s\n' "$*"; }

# Build: clang/llvm for the eBPF objects, bpftool for their BTF, libbpf-dev,
# pkg-config, make and g++ for the native binding. Run/test: iproute2 (ip, tc),
# util-linux (setpriv), curl; tshark (dumpcap) as the tests' independent oracle.
PACKAGES=(clang llvm libbpf-dev bpftool pkg-config libelf-dev zlib1g-dev make g++ python3 iproute2 util-linux curl tshark)
PACKAGES+=(openssl)  # makes the TLS test's certificate
PACKAGES+=(chromium)  # headless browser for the Grafana plugin's browser test (driven by playwright-core)
PACKAGES+=(prometheus)  # the demo's Prometheus, promtool for the rule tests, the Prometheus integration test
PACKAGES+=(docker-compose)  # `docker-compose config` validates docker-compose.yml (no engine needed)
PACKAGES+=(python3-kubernetes)  # the Kubernetes API models the manifest test checks deploy/kubernetes against
PACKAGES+=(nghttp2-client)  # h2load: HTTP/2 client nfscope did not write, for the SBI latency test
PACKAGES+=(nghttp2-server)  # nghttpd: HTTP/2 server nfscope did not write, for the SBI latency test
PACKAGES+=(clang-format)  # `npm run format` and the formatting check in test/lint.test.ts
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "[setup] missing Debian packages: ${missing[*]}; run as root (sudo $0) to install them" >&2
    exit 1
  fi
  say "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# libbpf resolves tracepoint ids through tracefs; some machines do not mount it.
if [ "$(id -u)" -eq 0 ] && [ ! -d /sys/kernel/tracing/events ] && [ -d /sys/kernel/tracing ]; then
  say "mounting tracefs on /sys/kernel/tracing"
  mount -t tracefs nodev /sys/kernel/tracing || say "could not mount tracefs (tracepoint attach by name will fail)"
fi
# The exporter pins its datapath in a bpf file system (/sys/fs/bpf); systemd mounts it at boot, a bare machine may not.
if [ "$(id -u)" -eq 0 ] && [ -d /sys/fs/bpf ] && ! grep -q ' /sys/fs/bpf bpf ' /proc/self/mounts; then
  say "mounting a bpf file system on /sys/fs/bpf"
  mount -t bpf bpf /sys/fs/bpf || say "could not mount a bpf file system (the exporter cannot pin its datapath)"
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm dependencies"
  npm ci --no-audit --no-fund --loglevel=error
fi

say "building eBPF objects (bpf/build)"
make -s -C bpf
if [ ! -f exporter/build/Release/nfscope_bpf.node ] || [ exporter/native/binding.cc -nt exporter/build/Release/nfscope_bpf.node ] || [ exporter/binding.gyp -nt exporter/build/Release/nfscope_bpf.node ]; then
  say "building the native libbpf binding"
  (cd exporter && npx --no-install node-gyp rebuild --loglevel=error >/dev/null)
fi
say "compiling TypeScript"
# In dependency order: api (the query API's contract), cli (the nfscope
# command) <- exporter <- top, sim.
npm run -s build -w api
npm run -s build -w cli
npm run -s build:ts -w exporter
npm run -s build -w top
npm run -s build -w sim
npm run -s build:bench  # bench/*.ts -> bench/dist (the benchmarks, bench/README.md)
# The Grafana plugin, and the page that stands in for Grafana in its browser test; rebuilt when a source is newer.
stale() { [ ! -f "$1" ] || [ -n "$(find "${@:2}" -newer "$1" -print -quit)" ]; }
if stale plugin/dist/module.js plugin/src plugin/.config plugin/webpack.config.js plugin/package.json plugin/README.md plugin/CHANGELOG.md; then
  say "building the Grafana plugin (plugin/dist)"
  npm run -s build -w plugin
fi
# One host page per Grafana release the plugin is tested on: each plugin/test-host/grafana-<major>/ pins that
# release's @grafana packages and React in its own package-lock.json and node_modules.
for dir in plugin/test-host/grafana-*/; do
  dir=${dir%/}
  release=${dir##*/}
  if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    say "installing the packages of ${release/grafana-/Grafana } for the plugin's browser test ($dir)"
    npm ci --prefix "$dir" --no-audit --no-fund --ignore-scripts --loglevel=error
  fi
  if stale "plugin/test-host/dist/$release/host.js" plugin/test-host/*.ts plugin/test-host/*.tsx plugin/test-host/panels plugin/test-host/index.html plugin/test-host/webpack.config.js "$dir/package-lock.json"; then
    say "building the browser-test host page for ${release/grafana-/Grafana } (plugin/test-host/dist/$release)"
    npm run -s build:host -w plugin -- --env "grafana=${release#grafana-}"
  fi
done
say "ready"

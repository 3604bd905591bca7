#!/usr/bin/env bash
# Regenerates the README's dashboard pictures (docs/img/dashboard-*.png) and
# the plugin's screenshots that plugin.json lists (plugin/src/img/screenshots/),
# on the newest Grafana release the plugin is tested on: runs the plugin's
# browser test (the editors, rendered by that release's @grafana/ui) and
# the dashboard preview test (test/dashboard-preview.test.ts: half a minute
# of testbed traffic measured by a real exporter, every prebuilt dashboard's
# queries run through the plugin in headless Chromium and drawn by nfscope's
# preview renderer), which copies the overview, N4 and user-plane screenshots
# to docs/img/; then shrinks them with pngquant. Needs root (eBPF, network
# namespaces); builds first (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

[ "$(id -u)" -eq 0 ] || { echo "render-dashboards: needs root (the test runs the testbed and the eBPF exporter)" >&2; exit 1; }
bash scripts/setup.sh
if ! command -v pngquant >/dev/null; then
  echo "[render-dashboards] installing pngquant (shrinks the pictures)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends pngquant >/dev/null
fi

IMAGES=(docs/img/dashboard-overview.png docs/img/dashboard-n4-pfcp.png docs/img/dashboard-user-plane.png
  plugin/src/img/screenshots/dashboard-overview.png plugin/src/img/screenshots/config-editor.png plugin/src/img/screenshots/query-editor.png)
rm -f "${IMAGES[@]}"
# CI=true: a missing prerequisite fails instead of skipping, so no stale picture survives.
NFSCOPE_DOCS_IMG=1 CI=true npx --no-install jest test/plugin-browser.test.ts test/dashboard-preview.test.ts
for f in "${IMAGES[@]}"; do
  [ -f "$f" ] || { echo "render-dashboards: the test did not write $f" >&2; exit 1; }
  # Lossy palette reduction: a third of the size, the text stays sharp.
  pngquant --quality 80-95 --speed 1 --strip --force --ext .png "$f"
  size=$(stat -c %s "$f")
  printf '%s %d KB\n' "$f" $((size / 1024))
  [ "$size" -le 307200 ] || { echo "render-dashboards: $f is larger than 300 KB" >&2; exit 1; }
done

#!/usr/bin/env bash
# Runs every nfscope test: unit tests, and as root the kernel, namespace and
# end-to-end tests. Installs and builds what it needs first (scripts/setup.sh).
# With CI=true a test whose prerequisites are missing fails instead of skipping.
# Ends with one line: "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh || { echo "0 passed, 1 failed"; exit 1; }

results=$(mktemp /tmp/nfscope-jest-XXXXXX.json)
trap 'rm -f "$results"' EXIT
npx --no-install jest --json --outputFile="$results" "$@"
status=$?

# Count from jest's results: a suite that failed to run (syntax error, crash in
# beforeAll with no test reported) counts as one failure.
node -e '
let r;
try {
  r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
} catch (e) {
  console.error(`jest wrote no results: ${e.message}`);
  console.log("0 passed, 1 failed");
  process.exit(1);
}
let failed = r.numFailedTests;
for (const s of r.testResults) if (s.status === "failed" && s.assertionResults.every((a) => a.status !== "failed")) failed += 1;
console.log(`${r.numPassedTests} passed, ${failed} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
process.exit(failed > 0 ? 1 : 0);
' "$results" || status=1
exit $status

#!/usr/bin/env bash
# Formats nfscope's sources: prettier for the TypeScript (.prettierrc), clang-format for the C and C++
# (.clang-format, exporter/native/.clang-format). `npm run format` rewrites the files; with --check
# (`npm run format:check`, test/lint.test.ts) nothing is written and every file that would change is
# named, with a non-zero exit. `ts` or `c` limits it to one of the two.
#   scripts/format.sh [--check] [ts|c]
set -euo pipefail
cd "$(dirname "$0")/.."

check=0
if [ "${1:-}" = "--check" ]; then check=1; shift; fi
what=${1:-all}
case "$what" in
  all | ts | c) ;;
  *) echo "format.sh: unknown part '$what' (ts, c or nothing for both)" >&2; exit 2 ;;
esac

# The C: the eBPF programs (not the generated bpf/vmlinux/), the benchmark's and tests' BPF objects and
# tools, the native binding.
c_files() {
  ls bpf/*.c bpf/*.h bench/bpf/*.c bench/tools/*.c test/fixtures/*.c exporter/native/*.cc
}

status=0
if [ "$what" != c ]; then
  # .prettierignore leaves out build output and generated files.
  if [ $check -eq 1 ]; then
    npx --no-install prettier --check --log-level warn '**/*.{ts,tsx}' || status=1
  else
    npx --no-install prettier --write --log-level warn '**/*.{ts,tsx}'
  fi
fi
if [ "$what" != ts ]; then
  command -v clang-format >/dev/null || { echo "format.sh: clang-format is not installed (scripts/setup.sh installs it)" >&2; exit 1; }
  if [ $check -eq 1 ]; then
    # --dry-run prints each change as a warning naming file:line; --Werror makes that an error.
    c_files | xargs clang-format --dry-run --Werror || status=1
  else
    c_files | xargs clang-format -i
  fi
fi
exit $status

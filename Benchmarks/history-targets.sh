#!/usr/bin/env bash
# The shared-history targets (issue 15), measured in one run on this machine:
#   - weave log / log --edits / blame / diff / show on automerge-paper's 259,778 edits,
#     and the same edits re-timed over three months (weave-bench history);
#   - weave import of a generated 200-agent, ~50,000-patch concurrent history and of
#     friendsforever: time and peak RSS (weave-bench import);
#   - a join of automerge-paper with its full history (weave-bench peers --parts join).
# Prints the date, the commit and the machine first. Build weave and weave-bench in release:
#   swift build -c release --product weave && swift build -c release --product weave-bench
#   Benchmarks/history-targets.sh [TRACES_DIR] [BIN_DIR]
set -eu
traces=$(realpath "${1:-../shared/traces}"); bin=$(realpath "${2:-.build/release}")
for b in weave weave-bench; do
  [ -x "$bin/$b" ] || { echo "error: no $bin/$b (swift build -c release --product $b)" >&2; exit 2; }
done
[ -f "$traces/automerge-paper.json.gz" ] || { echo "error: no $traces/automerge-paper.json.gz" >&2; exit 2; }
w=$(mktemp -d); trap 'rm -rf "$w"' EXIT
echo "date     $(date -u +%Y-%m-%dT%H:%MZ)"
echo "commit   $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
echo "machine  $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(uname -sr)"
echo
echo "== weave import of automerge-paper, then its history commands (weave-bench history)"
"$bin/weave" import "$traces/automerge-paper.json.gz" --to "$w/paper.txt"
"$bin/weave-bench" history "$w/paper.txt" --months 3
echo
echo "== weave import of concurrent histories (weave-bench import)"
"$bin/weave-bench" import --trace "$traces/friendsforever.json.gz"
echo
echo "== join with the full history (weave-bench peers --parts join)"
"$bin/weave-bench" peers --trace "$traces/automerge-paper.json.gz" --parts join --seconds 0

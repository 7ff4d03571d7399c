#!/usr/bin/env bash
# Import a real editing trace and replay it in the time-travel pane.
#
#   Examples/replay-trace.sh [TRACE]
#
# TRACE defaults to friendsforever.json.gz (two people writing a story together,
# live and concurrently) from $WEAVE_TRACES or ../shared/traces beside the
# repository. The weave binary is $WEAVE, else `weave` on PATH, else the debug build.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
traces=${WEAVE_TRACES:-$here/../../shared/traces}
trace=${1:-$traces/friendsforever.json.gz}
weave=${WEAVE:-$(command -v weave || echo "$here/../.build/debug/weave")}
[ -f "$trace" ] || { echo "replay-trace: no trace at $trace (get one from github.com/josephg/editing-traces)" >&2; exit 1; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$weave" import "$trace" --to "$dir/story.txt"
echo "The first bursts of its history:"
{ "$weave" log "$dir/story.txt" || true; } | head -n 5
# The pane: Space plays, ←/→ step, [ ] jump between bursts, b colours by author, Esc quits.
"$weave" replay "$dir/story.txt"

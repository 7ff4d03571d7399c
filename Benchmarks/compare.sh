#!/usr/bin/env bash
# Side-by-side CRDT benchmark: Loro and pycrdt (and automerge where its official Python
# binding is importable) via compare_crdts.py in Benchmarks/.venv, plus Weave's own
# `weave-bench core`, all on one editing trace in one run. Prints a Markdown table.
#
#   Benchmarks/compare.sh [TRACE] [--runs N] [--no-weave] [--plain]
#
# TRACE defaults to $WEAVE_TRACES/automerge-paper.json.gz, else
# ../shared/traces/automerge-paper.json.gz relative to the repository root.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
traces="${WEAVE_TRACES:-$root/../shared/traces}"
trace=""
runs=3
weave=1
format=--markdown

while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --runs=*) runs="${1#--runs=}"; shift ;;
    --no-weave) weave=0; shift ;;
    --plain) format=""; shift ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    -*) echo "unknown option: $1" >&2; exit 2 ;;
    *) trace="$1"; shift ;;
  esac
done
trace="${trace:-$traces/automerge-paper.json.gz}"
if [ ! -f "$trace" ]; then
  echo "error: trace not found: $trace (pass a path or set WEAVE_TRACES)" >&2
  exit 1
fi
trace="$(cd "$(dirname "$trace")" && pwd)/$(basename "$trace")"

# 1. The virtual environment with pinned libraries.
venv="$here/.venv"
python="${PYTHON:-python3}"
if [ ! -x "$venv/bin/python" ]; then
  echo "creating $venv" >&2
  "$python" -m venv "$venv" || { echo "error: '$python -m venv' failed (on Debian: apt-get install python3-venv)" >&2; exit 1; }
fi
if ! "$venv/bin/python" - "$here/requirements.txt" <<'PY' 2>/dev/null
import sys, importlib.metadata as md
for line in open(sys.argv[1]):
    line = line.split("#")[0].strip()
    if line:
        name, want = line.split("==")
        if md.version(name) != want:
            sys.exit(1)
PY
then
  echo "installing pinned packages into $venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt" >&2
fi

# 2. Weave's own numbers (tolerated to fail: the row is then replaced by a note).
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
weave_args=()
if [ "$weave" = 1 ]; then
  if ! command -v swift >/dev/null 2>&1; then
    weave_args=(--weave-error "not measured: no swift toolchain on PATH")
  else
    echo "[weave] swift run -c release weave-bench core --trace $trace --json --runs $runs" >&2
    if (cd "$root" && swift run -c release weave-bench core --trace "$trace" --json --runs "$runs") \
         >"$tmp/weave.out" 2>"$tmp/weave.err" && grep -q '^{' "$tmp/weave.out"; then
      WEAVE_VERSION="$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo main)"
      git -C "$root" diff --quiet HEAD -- Sources Package.swift 2>/dev/null || WEAVE_VERSION="$WEAVE_VERSION+local changes"
      export WEAVE_VERSION
      weave_args=(--weave-json "$tmp/weave.out")
    else
      why="$(grep -h -v '^\s*$' "$tmp/weave.err" "$tmp/weave.out" 2>/dev/null | grep -iE 'error' | head -n 1 | cut -c1-200 || true)"
      [ -n "$why" ] || why="$(tail -n 1 "$tmp/weave.err" | cut -c1-200)"
      weave_args=(--weave-error "not measured: \`swift run -c release weave-bench core\` failed (${why:-no output})")
      echo "[weave] failed; see the note under the table" >&2
    fi
  fi
else
  weave_args=(--weave-error "not measured (--no-weave)")
fi

# 3. The Python libraries, then the combined table.
exec "$venv/bin/python" "$here/compare_crdts.py" "$trace" --runs "$runs" $format "${weave_args[@]}"

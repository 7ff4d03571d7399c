#!/usr/bin/env bash
# Side-by-side CRDT benchmark: Loro and pycrdt (and automerge where its official Python
# binding is importable) via compare_crdts.py in Benchmarks/.venv, and Weave's own
# `weave-bench core`, on the same editing traces in one run. Prints the Markdown tables.
#
#   Benchmarks/compare.sh [TRACE...] [--runs N] [--weave-bench PATH] [--no-weave]
#                         [--no-generated] [--shapes LIST] [--agents N] [--patches N]
#                         [--batch N] [--plain] [--json]
#
# Without TRACE: automerge-paper.json.gz and friendsforever.json.gz from $WEAVE_TRACES, else
# ../shared/traces next to the repository. Unless --no-generated, generated traces are added,
# written by `weave-bench generate-trace ... --seed 1` into a temporary folder (removed at
# exit), one per shape in --shapes (comma-separated; default all four):
#   concurrent    --agents 200 --patches 50000 (short branches, random letters; --agents and
#                 --patches change it)
#   many-authors  --shape many-authors: 204 authors, 955 transactions, ~53,000 patches of
#                 whole typing/delete runs on long branches (issue 34's 204-author trace)
#   essay         --shape one-author --patches 138000: one author's keystrokes (issue 34's
#                 three-month essay)
#   one-author    --shape one-author --patches 85000 --chunk 4: ~3.7 characters a patch,
#                 ~125,000 at the end (issue 34's 85k-patch trace)
# weave-bench is built with
# `swift build -c release --product weave-bench`, unless --weave-bench PATH (or $WEAVE_BENCH)
# names a prebuilt one. --batch N: patches per commit in the Python rows' batched mode
# (default 1000; 0: one commit for the whole trace).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
traces_dir="${WEAVE_TRACES:-$root/../shared/traces}"
traces=()
runs=3
weave=1
generated=1
agents=200
patches=50000
shapes="concurrent,many-authors,essay,one-author"
bench="${WEAVE_BENCH:-}"
py_args=()

while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --runs=*) runs="${1#--runs=}"; shift ;;
    --weave-bench) bench="$2"; shift 2 ;;
    --weave-bench=*) bench="${1#--weave-bench=}"; shift ;;
    --no-weave) weave=0; shift ;;
    --no-generated) generated=0; shift ;;
    --shapes) shapes="$2"; shift 2 ;;
    --shapes=*) shapes="${1#--shapes=}"; shift ;;
    --agents) agents="$2"; shift 2 ;;
    --patches) patches="$2"; shift 2 ;;
    --batch) py_args+=(--batch "$2"); shift 2 ;;
    --plain) py_args+=(--plain); shift ;;
    --json) py_args+=(--json); shift ;;
    -h|--help) sed -n '2,26p' "$0"; exit 0 ;;
    -*) echo "unknown option: $1" >&2; exit 2 ;;
    *) traces+=("$1"); shift ;;
  esac
done
if [ ${#traces[@]} -eq 0 ]; then
  traces=("$traces_dir/automerge-paper.json.gz" "$traces_dir/friendsforever.json.gz")
fi
for i in "${!traces[@]}"; do
  t="${traces[$i]}"
  if [ ! -f "$t" ]; then
    echo "error: trace not found: $t (pass a path or set WEAVE_TRACES)" >&2
    exit 1
  fi
  traces[$i]="$(cd "$(dirname "$t")" && pwd)/$(basename "$t")"
done

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
wdir="$tmp/weave"
mkdir -p "$wdir"
notes=()

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

# 2. weave-bench: the given binary, else a release build of this checkout.
commit="$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [ "$commit" != unknown ] && ! git -C "$root" diff --quiet HEAD -- Sources Package.swift 2>/dev/null; then
  commit="$commit+local changes"
fi
bench_error=""
if [ -n "$bench" ]; then
  if [ -x "$bench" ]; then
    export WEAVE_BINARY="prebuilt weave-bench given with --weave-bench or WEAVE_BENCH (built from the commit above? not checked)"
  else
    bench_error="the given weave-bench is not an executable file"
    bench=""
  fi
elif [ "$weave" = 1 ] || [ "$generated" = 1 ]; then
  if ! command -v swift >/dev/null 2>&1; then
    bench_error="no swift toolchain on PATH"
  else
    echo "[weave] swift build -c release --product weave-bench" >&2
    if (cd "$root" && swift build -c release --product weave-bench) >"$tmp/build.log" 2>&1; then
      bench="$(cd "$root" && swift build -c release --show-bin-path)/weave-bench"
      export WEAVE_BINARY="weave-bench built by compare.sh with swift build -c release"
    else
      why="$(grep -iE 'error' "$tmp/build.log" | head -n 1 | cut -c1-200 || true)"
      bench_error="\`swift build -c release --product weave-bench\` failed (${why:-see its output})"
      tail -n 20 "$tmp/build.log" >&2
    fi
  fi
fi
export WEAVE_COMMIT="$commit"

# 3. The generated traces, one per shape.
if [ "$generated" = 1 ]; then
  IFS=',' read -r -a shape_list <<<"$shapes"
  for shape in "${shape_list[@]}"; do
    case "$shape" in
      concurrent) gen_name="generated-${agents}-agents-${patches}-patches-seed1.json"
                  gen_args=(--agents "$agents" --patches "$patches") ;;
      many-authors) gen_name="generated-many-authors-204-agents-955-txns-53000-patches-seed1.json"
                  gen_args=(--shape many-authors) ;;
      essay) gen_name="generated-one-author-138000-keystrokes-seed1.json"
                  gen_args=(--shape one-author --patches 138000) ;;
      one-author) gen_name="generated-one-author-85000-patches-chunk4-seed1.json"
                  gen_args=(--shape one-author --patches 85000 --chunk 4) ;;
      *) echo "unknown shape: $shape (concurrent, many-authors, essay, one-author)" >&2; exit 2 ;;
    esac
    if [ -n "$bench" ]; then
      gen="$tmp/$gen_name"
      echo "[weave] weave-bench generate-trace ${gen_args[*]} --seed 1" >&2
      if "$bench" generate-trace "${gen_args[@]}" --seed 1 --out "$gen" >&2; then
        traces+=("$gen")
      else
        notes+=(--note "The generated trace $gen_name is missing: \`weave-bench generate-trace\` failed.")
      fi
    else
      notes+=(--note "The generated trace $gen_name is missing: no weave-bench ($bench_error).")
    fi
  done
fi

# 4. Weave on every trace: DIR/<trace name>.json (weave-bench core --json), .enc (its raw
#    encoding, compressed by compare_crdts.py like the others' exports) or .err (why not).
for t in "${traces[@]}"; do
  name="$(basename "$t")"
  if [ "$weave" = 0 ]; then
    echo "not measured (--no-weave)" >"$wdir/$name.err"
  elif [ -z "$bench" ]; then
    echo "not measured: $bench_error" >"$wdir/$name.err"
  else
    echo "[weave] weave-bench core --trace $name --json --runs $runs" >&2
    status=0
    "$bench" core --trace "$t" --json --runs "$runs" --write-encoding "$wdir/$name.enc" \
      >"$wdir/$name.json" 2>"$wdir/$name.stderr" || status=$?
    if ! grep -q '^{' "$wdir/$name.json"; then
      why="$(grep -v '^\s*$' "$wdir/$name.stderr" | tail -n 1 | cut -c1-200 || true)"
      echo "not measured: \`weave-bench core\` exited $status (${why:-no output})" >"$wdir/$name.err"
      rm -f "$wdir/$name.json"
      echo "[weave] failed on $name; see the note under the table" >&2
    elif [ "$status" != 0 ]; then
      # The JSON says ok: false; compare_crdts.py flags the row and exits 1.
      echo "[weave] weave-bench core exited $status on $name: $(tail -n 1 "$wdir/$name.stderr")" >&2
    fi
  fi
done

# 5. The Python libraries, then the combined tables.
"$venv/bin/python" "$here/compare_crdts.py" "${traces[@]}" --runs "$runs" --weave-dir "$wdir" \
  ${py_args[@]+"${py_args[@]}"} ${notes[@]+"${notes[@]}"}

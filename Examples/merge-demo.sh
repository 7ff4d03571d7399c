#!/usr/bin/env bash
# The offline/online merge with two real weave processes, step by step:
# alice hosts, bob joins with his own copy; bob goes offline (F6); both edit the
# same line; bob comes back online; both screens converge and both saved files
# are identical.
#
#   Examples/merge-demo.sh [DIR]
#
# Runs in a private tmux server and narrates each step. DIR (default: a new
# temporary directory) receives alice.txt and bob.txt. The weave binary is
# $WEAVE, else `weave` on PATH, else the debug build.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
weave=${WEAVE:-$(command -v weave || echo "$here/../.build/debug/weave")}
dir=${1:-$(mktemp -d)}
mkdir -p "$dir"
sock=weave-merge-$$
port=${WEAVE_PORT:-$((20000 + $$ % 20000))}
t() { tmux -L "$sock" "$@"; }
trap 't kill-server 2>/dev/null || true' EXIT
step() { printf '\n== %s\n' "$*"; }
screen() { t capture-pane -p -t "$1"; }
# Waits (at most 60 s: a loaded machine, a debug build) until pane $1 shows $2.
wait_for() {
  for _ in $(seq 1 600); do screen "$1" | tr -d '\n' | grep -qF -- "$2" && return 0; sleep 0.1; done
  echo "timed out waiting for '$2' in pane $1:"; screen "$1"; exit 1
}
# Waits (at most 60 s) until file $1 holds the line $2 (what Ctrl-S wrote).
wait_for_file() {
  for _ in $(seq 1 600); do grep -qxF -- "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "timed out waiting for $1 to hold '$2'; it holds:"; cat "$1" 2>/dev/null || true; exit 1
}

printf 'The meeting is on Monday.\n' > "$dir/alice.txt"
step "alice hosts alice.txt; bob joins and keeps his copy in bob.txt"
t -f /dev/null new-session -d -s merge -x 120 -y 20 "cd '$dir' && env LANG=C.UTF-8 '$weave' host alice.txt --port $port --name alice; sleep 5"
wait_for merge:0.0 "join with"
# The join command alice's host printed (weave invite prints it again).
join_args=$(cd "$dir" && "$weave" invite alice.txt | sed -n 's/^weave join //p')
t split-window -v -t merge "cd '$dir' && env LANG=C.UTF-8 '$weave' join $join_args bob.txt --name bob; sleep 5"
wait_for merge:0.1 "The meeting is on Monday."
step "bob goes offline (F6); both change the same sentence"
t send-keys -t merge:0.1 F6
wait_for merge:0.1 "offline"
t send-keys -t merge:0.0 C-Home Right Right Right Right Right Right Right Right Right Right Right Right Right Right Right Right Right Right Right Right Right Right Right Right
t send-keys -t merge:0.0 -l " (10:00)"
t send-keys -t merge:0.1 C-Home Right Right Right Right
t send-keys -t merge:0.1 -l "team "
wait_for merge:0.0 "Monday (10:00)."
wait_for merge:0.1 "The team meeting is on Monday."
screen merge:0.0 | head -n 1 | sed 's/^/alice sees: /'
screen merge:0.1 | head -n 1 | sed 's/^/bob sees:   /'
step "bob comes back online (F6): each side sends what the other lacks"
t send-keys -t merge:0.1 F6
wait_for merge:0.0 "The team meeting is on Monday (10:00)."
wait_for merge:0.1 "The team meeting is on Monday (10:00)."
screen merge:0.0 | head -n 1 | sed 's/^/alice sees: /'
screen merge:0.1 | head -n 1 | sed 's/^/bob sees:   /'
step "both save (Ctrl-S) and quit"
t send-keys -t merge:0.0 C-s
t send-keys -t merge:0.1 C-s
# Each file holds the merged text once its Ctrl-S has written it.
wait_for_file "$dir/alice.txt" "The team meeting is on Monday (10:00)."
wait_for_file "$dir/bob.txt" "The team meeting is on Monday (10:00)."
t send-keys -t merge:0.1 C-q
t send-keys -t merge:0.0 C-q
for _ in $(seq 1 50); do cmp -s "$dir/alice.txt" "$dir/bob.txt" && break; sleep 0.1; done
if cmp -s "$dir/alice.txt" "$dir/bob.txt"; then
  echo "converged: alice.txt and bob.txt both hold: $(cat "$dir/alice.txt")"
else
  echo "alice.txt and bob.txt differ:"; diff "$dir/alice.txt" "$dir/bob.txt" || true; exit 1
fi

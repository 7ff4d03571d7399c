#!/usr/bin/env bash
# Opens a tmux session with `weave host` and `weave join` side by side: type in
# either pane and watch the other.
#
#   Examples/two-terminals.sh [FILE] [PORT]
#
# FILE defaults to shared.txt, PORT to 7070. The weave binary is $WEAVE, else
# `weave` on PATH, else the debug build. WEAVE_TMUX_SOCKET runs it on a private
# tmux server (tmux -L), as the tests do.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
weave=${WEAVE:-$(command -v weave || echo "$here/../.build/debug/weave")}
file=${1:-shared.txt}
port=${2:-7070}
session=weave-two
t() { tmux ${WEAVE_TMUX_SOCKET:+-L "$WEAVE_TMUX_SOCKET"} "$@"; }
t kill-session -t "$session" 2>/dev/null || true
# Every link is TLS and needs an invitation: FILE's standing invitation, which
# weave host will print too (made now if there is none yet).
join_args=$("$weave" invite "$file" --address "127.0.0.1:$port" | sed -n 's/^weave join //p')
[ -n "$join_args" ] || { echo "weave invite printed no join command" >&2; exit 1; }
t new-session -d -s "$session" -x 160 -y 30 "env LANG=C.UTF-8 '$weave' host '$file' --port $port --name alice; sleep 2"
# The joiner starts once the host listens (it prints the join command then; 15 s at most).
for _ in $(seq 1 150); do t capture-pane -p -t "$session" | tr -d '\n' | grep -qF "join with" && break; sleep 0.1; done
t split-window -h -t "$session" "env LANG=C.UTF-8 '$weave' join $join_args --name bob; sleep 2"
if [ -t 1 ] && [ -z "${WEAVE_TMUX_SOCKET:-}" ]; then
  if [ -n "${TMUX:-}" ]; then t switch-client -t "$session"; else t attach -t "$session"; fi
else
  echo "started tmux session $session: alice hosts $file on port $port, bob joins (tmux attach -t $session)"
fi

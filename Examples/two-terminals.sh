#!/usr/bin/env bash
# Opens a tmux session with `weave host` and `weave join` side by side: type in
# either pane and watch the other.
#
#   Examples/two-terminals.sh [FILE] [PORT]
#
# FILE defaults to shared.txt, PORT to 7070. The weave binary is $WEAVE, else
# `weave` on PATH, else the debug build. WEAVE_TMUX_SOCKET runs it on a private
# tmux server (tmux -L), as the tests do; WEAVE_LOG_DIR gives both a --log
# (DIR/host.log, DIR/join.log).
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
host_log= join_log=
if [ -n "${WEAVE_LOG_DIR:-}" ]; then
  mkdir -p "$WEAVE_LOG_DIR"
  host_log=" --log '$WEAVE_LOG_DIR/host.log'" join_log=" --log '$WEAVE_LOG_DIR/join.log'"
fi
t new-session -d -s "$session" -x 160 -y 30 "env LANG=C.UTF-8 '$weave' host '$file' --port $port --name alice$host_log; sleep 2"
# The joiner starts once the host listens (it prints the join command then; 60 s at most).
listening=
for _ in $(seq 1 600); do
  if t capture-pane -p -t "$session" | tr -d '\n' | grep -qF "join with"; then listening=1; break; fi
  t has-session -t "$session" 2>/dev/null || break  # the host exited (see its log)
  sleep 0.1
done
if [ -z "$listening" ]; then
  echo "weave host did not start (or not within 60 s); its pane:" >&2
  t capture-pane -p -t "$session" >&2 || true
  exit 1
fi
t split-window -h -t "$session" "env LANG=C.UTF-8 '$weave' join $join_args --name bob$join_log; sleep 2"
if [ -t 1 ] && [ -z "${WEAVE_TMUX_SOCKET:-}" ]; then
  if [ -n "${TMUX:-}" ]; then t switch-client -t "$session"; else t attach -t "$session"; fi
else
  echo "started tmux session $session: alice hosts $file on port $port, bob joins (tmux attach -t $session)"
fi

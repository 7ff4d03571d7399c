#!/usr/bin/env bash
# A connection storm with real processes: BOTS copies of weave-bot start at once
# against one `weave serve`, each typing CHARS characters (its own letter) at CPS
# a second, while BUSY busy loops load the cores. Then the relay is stopped with
# SIGTERM and its saved file is counted: it must hold every bot's characters.
# Prints what arrived, the bots that failed, and the relay's links cut for silence.
#
#   Benchmarks/bots-storm.sh [BIN_DIR] [BOTS] [CHARS] [CPS] [BUSY]
#   (defaults: .build/release 50 200 20 2; build weave and weave-bot in release first)
set -u
bin=$(realpath "${1:-.build/release}"); bots=${2:-50}; chars=${3:-200}; cps=${4:-20}; busy=${5:-2}
for b in weave weave-bot; do
  [ -x "$bin/$b" ] || { echo "error: no $bin/$b (swift build -c release --product $b)" >&2; exit 2; }
done
[ "$bots" -le 62 ] || { echo "error: at most 62 bots (one letter or digit each)" >&2; exit 2; }
w=$(mktemp -d)
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null; rm -rf "$w"; }
trap cleanup EXIT
cd "$w"
WEAVE_CONFIG_DIR="$w/config" "$bin/weave" serve doc.txt --port 0 --log serve.log > serve.out 2>&1 &
serve=$!
for _ in $(seq 1 100); do grep -q "join with" serve.out 2>/dev/null && break; sleep 0.1; done
join=$(grep "join with" serve.out) || { echo "error: weave serve did not start:"; cat serve.out; exit 1; }
address=$(echo "$join" | grep -o '127.0.0.1:[0-9]*' | head -1)
token=$(echo "$join" | grep -o 'wv1-[A-Za-z0-9_-]*' | head -1)
for _ in $(seq 1 "$busy"); do (while :; do :; done) & pids+=($!); done
letters=abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789
start=$(date +%s.%N)
bot_pids=()
for i in $(seq 0 $((bots - 1))); do
  printf "%${chars}s" | tr ' ' "${letters:$i:1}" > "t$i.txt"
  "$bin/weave-bot" "$address" "t$i.txt" --invite "$token" --cps "$cps" --name "b$i" > "bot$i.out" 2>&1 &
  bot_pids+=($!)
done
failed=0
for p in "${bot_pids[@]}"; do wait "$p" || failed=$((failed + 1)); done
end=$(date +%s.%N)
kill "${pids[@]}" 2>/dev/null; pids=()
kill -TERM "$serve"; wait "$serve"
got=$(tr -d '\n' < doc.txt | wc -m)
short=0
for i in $(seq 0 $((bots - 1))); do
  n=$(tr -cd "${letters:$i:1}" < doc.txt | wc -c)
  [ "$n" -eq "$chars" ] || { short=$((short + 1)); echo "bot $i: $n of $chars characters arrived"; }
done
printf 'bots-storm: %d bots x %d characters at %s/s beside %d busy loops: the relay saved %d of %d; %d bots failed; %d links cut for silence; %.1f s\n' \
  "$bots" "$chars" "$cps" "$busy" "$got" $((bots * chars)) "$failed" "$(grep -c 'nothing heard' serve.log)" "$(echo "$end - $start" | bc)"
grep -h "weave-bot:" bot*.out | sort | uniq -c | head -5
[ "$short" -eq 0 ] && [ "$failed" -eq 0 ]

#!/usr/bin/env bash
# Builds the libFuzzer targets and runs each for a set time (default 60 s):
#   FuzzTesting/run.sh [seconds] [target…]
# New crashes are written to FuzzTesting/Corpus/<target>/crash-*; keep each one
# there: the test suite (CorpusReplayTests) replays every file in Corpus/.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-60}; shift || true
targets=("$@"); [ ${#targets[@]} -gt 0 ] || targets=(FuzzOpCodec FuzzLogLoader FuzzFrameDecoder FuzzAuthMessage FuzzFolderRecord)
# --sanitize instruments only this package's targets; -Xswiftc also instruments Weave's own
# modules (the code under test): without it libFuzzer sees no coverage ("corp: 1/1b").
swift build -c debug --scratch-path .build-fuzz --sanitize=fuzzer --sanitize=address -Xswiftc -sanitize=fuzzer,address
for t in "${targets[@]}"; do
  mkdir -p "Corpus/$t" ".work/$t"
  echo "== $t for ${seconds}s"
  ".build-fuzz/debug/$t" -max_total_time="$seconds" -artifact_prefix="Corpus/$t/" ".work/$t" "Corpus/$t" 2>&1 | tail -n 40 | grep -v "ld.gold"
done

#!/usr/bin/env bash
# Runs every fuzz target for SECONDS (default 60) each, on nightly Rust with cargo-fuzz
# (installed when missing), growing the saved corpora under fuzz/corpus/, which the ordinary
# tests replay. A crash leaves its input under fuzz/artifacts/TARGET/.
#   fuzz/run.sh 300
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-60}"
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked
for target in $(cargo +nightly fuzz list); do
  mkdir -p "corpus/$target"
  cargo +nightly fuzz run "$target" "corpus/$target" -- -max_total_time="$seconds" -max_len=4096
done

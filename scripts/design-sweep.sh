#!/usr/bin/env bash
# The SNAN front-end design exploration (issue: main job, item 7): every variant on the same quick
# sweep — MNIST (embedded subset), k = 10, 1,000 test images, 2 seeds, impulse {0, 0.2, 0.4},
# occlusion {0.3, 0.5} — each into out/design/<variant>/ (resumable).
# Usage: scripts/design-sweep.sh [variant ...]   (default: all variants)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/snan-target}"
cargo build -q -p snan-cli
bin="$CARGO_TARGET_DIR/debug/snan"
variants=("$@")
if [ ${#variants[@]} -eq 0 ]; then
  variants=(v0-union v1-graded v2-published-windows v3-binary-readout v4-hebbian v5-weak-cue v6-low-sync v7-typical v8-weak-binary v9-fixed-norm)
fi
for v in "${variants[@]}"; do
  start=$(date +%s)
  "$bin" fewshot --dataset mnist --shots 10 --test-size 1000 --seeds 2 \
    --impulse 0,0.2,0.4 --occlusion 0.3,0.5 --models cnn,snan-cnn,cnn+median \
    --snan-variant "$v" --out "out/design/$v" > "out/design-$v.log" 2>&1
  echo "$v: $(( $(date +%s) - start )) s"
done

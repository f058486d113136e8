#!/usr/bin/env bash
# The main job's acceptance runs (issue: main job): full test splits of MNIST and Fashion-MNIST,
# k ∈ {1, 5, 10, 20}, six models, impulse {0, 0.1, 0.2, 0.3, 0.5}, occlusion {0.2, 0.4, 0.6}, 3 seeds,
# each into docs/results/<dataset>/ with its wall time in run.txt. Resumable: rerunning skips the
# rows already in results.csv. Needs the full data (scripts/fetch-datasets.sh or a local copy).
# Usage: scripts/full-sweep.sh DATA_ROOT [dataset ...]   (DATA_ROOT holds mnist/ and fashion-mnist/)
set -euo pipefail
cd "$(dirname "$0")/.."
root="${1:?usage: scripts/full-sweep.sh DATA_ROOT [mnist fashion-mnist]}"
shift
datasets=("$@")
[ ${#datasets[@]} -eq 0 ] && datasets=(mnist fashion-mnist)
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/snan-target}"
cargo build -q -p snan-cli
bin="$CARGO_TARGET_DIR/debug/snan"
for d in "${datasets[@]}"; do
  out="docs/results/$d"
  mkdir -p "$out"
  cmd=("$bin" fewshot --dataset "$d" --data-dir "$root/$d" --test-size all --seeds 3 --shots 1,5,10,20
       --models cnn,snan-cnn,cnn+median,cnn+bilateral,vit,snan-vit
       --impulse 0,0.1,0.2,0.3,0.5 --occlusion 0.2,0.4,0.6 --out "$out")
  start=$(date +%s)
  "${cmd[@]}" | tee "$out/run.log"
  printf 'command: snan %s\nwall time of this invocation: %d s\n' "${cmd[*]:1}" $(( $(date +%s) - start )) > "$out/run.txt"
done

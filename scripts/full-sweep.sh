#!/usr/bin/env bash
# The main job's acceptance runs (issue: main job): full test splits of MNIST and Fashion-MNIST,
# k ∈ {1, 5, 10, 20}, six models, impulse {0, 0.1, 0.2, 0.3, 0.5}, occlusion {0, 0.2, 0.4, 0.6}, 3 seeds,
# each into docs/results/<dataset>/ with the commands and wall times in run.txt.
#
# The shots are split into parts (PARTS, default "10,5 20,1": one process per core) that run at the
# same time and append to the same results.csv (disjoint rows, one line per write); a last
# invocation with all the shots then finds every row, and writes summary.md and the plots.
# Resumable: rerunning skips the rows already in results.csv. Needs the full data
# (scripts/fetch-datasets.sh or a local copy).
# Usage: scripts/full-sweep.sh DATA_ROOT [dataset ...]   (DATA_ROOT holds mnist/ and fashion-mnist/)
set -euo pipefail
cd "$(dirname "$0")/.."
root="${1:?usage: scripts/full-sweep.sh DATA_ROOT [mnist fashion-mnist]}"
shift
datasets=("$@")
[ ${#datasets[@]} -eq 0 ] && datasets=(mnist fashion-mnist)
read -r -a parts <<< "${PARTS:-10,5 20,1}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/snan-target}"
cargo build --release -q -p snan-cli
bin="$CARGO_TARGET_DIR/release/snan"
for d in "${datasets[@]}"; do
  out="docs/results/$d"
  mkdir -p "$out"
  common=(fewshot --dataset "$d" --data-dir "$root/$d" --test-size all --seeds 3
          --models cnn,snan-cnn,cnn+median,cnn+bilateral,vit,snan-vit
          --impulse 0,0.1,0.2,0.3,0.5 --occlusion 0,0.2,0.4,0.6 --out "$out")
  start=$(date +%s)
  pids=()
  for i in "${!parts[@]}"; do
    ( s=$(date +%s)
      "$bin" "${common[@]}" --shots "${parts[$i]}" > "$out/run-part$i.log"
      printf 'part %d: snan %s --shots %s: %d s\n' "$i" "${common[*]}" "${parts[$i]}" $(( $(date +%s) - s )) > "$out/.part$i.time"
    ) &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
  "$bin" "${common[@]}" --shots 1,5,10,20 | tee "$out/run.log"
  { printf 'command: scripts/full-sweep.sh DATA_ROOT %s   (PARTS="%s")\n' "$d" "${parts[*]}"
    printf 'wall time of this invocation: %d s (machine: %s cores)\n' $(( $(date +%s) - start )) "$(nproc)"
    cat "$out"/.part*.time
    printf 'final: snan %s --shots 1,5,10,20 (summary and plots)\n' "${common[*]}"; } > "$out/run.txt"
  rm -f "$out"/.part*.time
done

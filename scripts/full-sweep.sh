#!/usr/bin/env bash
# The main job's acceptance runs (issue: main job): full test splits of MNIST and Fashion-MNIST,
# k ∈ {1, 5, 10, 20}, six models, impulse {0, 0.1, 0.2, 0.3, 0.5}, occlusion {0, 0.2, 0.4, 0.6}, 3 seeds,
# each into docs/results/<dataset>/ with the commands and wall times of every invocation in run.txt.
#
# The shots are split into parts (PARTS, default "10,5 20,1": one process per core) that run at the
# same time and append to the same results.csv (disjoint rows, one write per line); a last
# invocation with all the shots then finds every row, and writes summary.md and the plots
# (`snan fewshot … --report-only` writes them for a sweep that is still running or was stopped).
# Occlusion 0 is the clean condition (listed once).
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
[ ${#parts[@]} -gt 0 ] || { echo "PARTS is empty" >&2; exit 2; }
# The union, ascending, for the final pass (its order is the summary's row order).
shots=$(IFS=,; echo "${parts[*]}" | tr , '\n' | sort -n -u | paste -sd, -)
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/snan-target}"
# One rayon thread per part when the parts fill the cores: flex's CNN/ViT inference barely uses a
# second thread, and oversubscribed pools only spin. (Results do not depend on the thread count.)
export RAYON_NUM_THREADS="${RAYON_NUM_THREADS:-$(( $(nproc) / ${#parts[@]} > 0 ? $(nproc) / ${#parts[@]} : 1 ))}"
cargo build --release -q -p snan-cli
bin="$CARGO_TARGET_DIR/release/snan"
for d in "${datasets[@]}"; do
  out="docs/results/$d"
  mkdir -p "$out"
  common=(fewshot --dataset "$d" --data-dir "$root/$d" --test-size all --seeds 3
          --models cnn,snan-cnn,cnn+median,cnn+bilateral,vit,snan-vit
          --impulse 0,0.1,0.2,0.3,0.5 --occlusion 0,0.2,0.4,0.6 --out "$out")
  start=$(date +%s)
  log="$out/run.txt"   # one block per invocation, appended (an interrupted one has no "finished" line)
  printf '\n## invocation started %s: scripts/full-sweep.sh DATA_ROOT %s (PARTS="%s"; %s cores)\n' \
    "$(date -u +%FT%TZ)" "$d" "${parts[*]}" "$(nproc)" >> "$log"
  # "dirty" means code changes: the results being written here always differ from the commit.
  commit=$(git rev-parse --short HEAD 2>/dev/null || echo '?')
  git diff --quiet HEAD -- . ':!docs/results' 2>/dev/null || commit+="-dirty"
  echo "rayon threads per part: $RAYON_NUM_THREADS; commit $commit" >> "$log"
  pids=()
  # Stopping the script (Ctrl-C, kill) stops its parts too, so a rerun never races a leftover.
  trap 'for p in "${pids[@]}"; do pkill -TERM -P "$p"; kill "$p"; done 2>/dev/null; exit 130' INT TERM
  for i in "${!parts[@]}"; do
    ( s=$(date +%s)
      "$bin" "${common[@]}" --shots "${parts[$i]}" >> "$out/run-part$i.log" 2>&1
      printf 'part %d finished: snan %s --shots %s: %d s\n' "$i" "${common[*]}" "${parts[$i]}" $(( $(date +%s) - s )) >> "$log"
    ) &
    pids+=($!)
  done
  failed=0
  for p in "${pids[@]}"; do wait "$p" || failed=1; done
  trap - INT TERM
  [ $failed -eq 0 ] || { echo "a part failed: see $out/run-part*.log" >&2; exit 1; }
  "$bin" "${common[@]}" --shots "$shots" | tee "$out/run.log"
  printf 'finished %s: wall time of this invocation %d s; final pass: snan %s --shots %s\n' \
    "$(date -u +%FT%TZ)" $(( $(date +%s) - start )) "${common[*]}" "$shots" >> "$log"
done

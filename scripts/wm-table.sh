#!/usr/bin/env bash
# Runs the working-memory acceptance table: `snan wm --parallel` for seeds 42, 1, 2, 3, with and
# without astrocyte feedback, and prints one Markdown row per run (mean similarity, θ, wall time).
# Usage: scripts/wm-table.sh [extra snan wm flags, e.g. --astro-dt-ms 1]
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/snan-target}"
cargo build -q -p snan-cli
bin="$CARGO_TARGET_DIR/debug/snan"
echo "| seed | astrocytes | mean similarity | per digit 0/1/2/3 | θ | wall (s) |"
echo "|---|---|---|---|---|---|"
for seed in 42 1 2 3; do
  for astro in on off; do
    flags=(--parallel --seed "$seed" --out "out/wm-table/s$seed-$astro" "$@")
    [ "$astro" = off ] && flags+=(--no-astro)
    log=$("$bin" wm "${flags[@]}" 2>&1)
    mean=$(sed -n 's/^mean similarity \([0-9.]*\) at threshold \([0-9]*\).*wall \([0-9.]*\) s$/\1 \2 \3/p' <<<"$log")
    per=$(sed -n 's/^digit [0-9]: similarity \([0-9.]*\)$/\1/p' <<<"$log" | paste -sd/)
    read -r m thr wall <<<"$mean"
    echo "| $seed | $astro | $m | $per | $thr | $wall |"
  done
done

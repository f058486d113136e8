#!/usr/bin/env bash
# Times `snan wm --parallel --seed 42` against the NumPy oracle's `par` mode in one sitting and
# prints both results and the wall-time ratio. The oracle lives in ../shared/reference.
# Usage: scripts/wm-vs-oracle.sh [ORACLE_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
oracle_dir=${1:-../shared/reference}
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/snan-target}"
cargo build -q -p snan-cli
digits=$(pwd)/datasets/wm-digits
t0=$(date +%s.%N)
"$CARGO_TARGET_DIR/debug/snan" wm --parallel --seed 42 --out out/wm-oracle | tail -2
t1=$(date +%s.%N)
# NumPy is benchmarked with the machine's OpenBLAS overrides unset (they slow a current numpy).
(cd "$oracle_dir" && env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python3 snan_wm_reference.py par 42 "$digits" | tail -3)
t2=$(date +%s.%N)
python3 - "$t0" "$t1" "$t2" <<'PY'
import sys
t0, t1, t2 = map(float, sys.argv[1:])
snan, oracle = t1 - t0, t2 - t1
print(f"snan wm --parallel: {snan:.1f} s; NumPy oracle par: {oracle:.1f} s; speed-up {oracle / snan:.1f}x")
PY

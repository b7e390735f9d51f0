#!/usr/bin/env bash
# Run one benchmark on a baseline commit and on this working tree, alternating, in one run,
# so both sets of figures come from the same machine under the same load.
#
#   bench/compare.sh REV ROUNDS bench/export.py [its options]
#
# The baseline is checked out (detached) beside this clone, as sgv-baseline-REV, so its
# benchmarks find ../shared as this tree's do; both run with this tree's virtualenv and
# PYTHONPATH pointing at their own sources, so each imports its own `sgv`. A script the
# baseline lacks (a new benchmark) runs from this tree on the baseline's `sgv`.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
if [ $# -lt 3 ]; then
  echo "usage: bench/compare.sh REV ROUNDS bench/SCRIPT.py [options]" >&2
  exit 2
fi
rev=$(git -C "$ROOT" rev-parse --short "$1")
rounds=$2
script=$3
shift 3
python=${PYTHON:-$ROOT/.venv/bin/python}
base=$(dirname "$ROOT")/sgv-baseline-$rev
if [ ! -d "$base" ]; then
  git -C "$ROOT" worktree add --detach "$base" "$rev" >/dev/null
fi
for round in $(seq 1 "$rounds"); do
  for tree in "$base" "$ROOT"; do
    label=$([ "$tree" = "$ROOT" ] && echo "this tree" || echo "baseline $rev")
    echo "=== round $round: $label: $script $*"
    runner="$tree/$script"
    [ -f "$runner" ] || runner="$ROOT/$script"
    (cd "$tree" && PYTHONPATH="$tree" "$python" "$runner" "$@")
  done
done

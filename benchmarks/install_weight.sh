#!/usr/bin/env bash
# The weight of what `pip install '.[demo]'` puts in a fresh virtual environment, before and after:
# BEFORE is a git revision (default 1ec449c, whose demo extra installed PyAV), AFTER is HEAD.
# Prints the size of each environment and its five largest packages. Each install resolves the
# newest versions pyproject.toml allows (no constraints file), as a newcomer's would.
#   bash benchmarks/install_weight.sh [BEFORE]
set -euo pipefail
cd "$(dirname "$0")/.."
before=${1:-1ec449c}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

weigh() {  # weigh NAME REVISION
  mkdir -p "$work/$1/src"
  git archive "$2" | tar -x -C "$work/$1/src"
  python3 -m venv "$work/$1/venv"
  "$work/$1/venv/bin/python" -m pip install -q "$work/$1/src[demo]" 2>&1 | grep -v "^WARNING: Location" || true
  local site=("$work/$1"/venv/lib/python3*/site-packages)
  printf '%-7s %-10s %s (site-packages %s)\n' "$1" "$(git rev-parse --short "$2")" \
    "$(du -sh "$work/$1/venv" | cut -f1)" "$(du -sh "${site[0]}" | cut -f1)"
  du -s "${site[0]}"/* | sort -rn | head -n 5 | while read -r kib path; do
    printf '          %6d MiB  %s\n' $((kib / 1024)) "$(basename "$path")"
  done
}

echo "fresh venv + pip install '.[demo]' ($(python3 --version), load: $(cut -d' ' -f1-3 /proc/loadavg))"
weigh before "$before"
weigh after HEAD

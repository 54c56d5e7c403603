#!/usr/bin/env bash
# Refresh the pins CI installs from (README, "Dependencies"):
#   requirements/constraints.txt  every dependency of Anpei and of its extras, and the build
#                                 backend, pinned to the newest versions pyproject.toml allows;
#   requirements/fonts.txt        the certificate font's package with the SHA-256 of its wheel.
# pip-tools runs in a throwaway virtual environment; nothing is installed into yours.
# Review the diff (above all the font's hash), run the tests, and commit both files together.
set -euo pipefail
cd "$(dirname "$0")/.."

tools=$(mktemp -d)
trap 'rm -rf "$tools"' EXIT
python3 -m venv "$tools/venv"
"$tools/venv/bin/python" -m pip install -q --upgrade pip pip-tools
export CUSTOM_COMPILE_COMMAND="scripts/refresh-constraints.sh"
compile=("$tools/venv/bin/pip-compile" --quiet --resolver=backtracking --strip-extras
  --no-emit-index-url --no-emit-find-links --no-emit-trusted-host --newline=LF)

# --all-build-deps pins setuptools too, so the wheel CI builds is built by a known backend.
"${compile[@]}" --all-extras --all-build-deps --allow-unsafe \
  --output-file requirements/constraints.txt pyproject.toml
# The bench extra names anpei[server]: pip-compile pins Anpei itself to this folder, which a
# constraint must not (CI installs from its own clone).
sed -i -E '/^anpei @ /,+1d' requirements/constraints.txt

font=$(grep -E '^paperang-p2-fonts-cjk==' requirements/constraints.txt)
echo "$font" > "$tools/fonts.in"
"${compile[@]}" --generate-hashes --output-file "$tools/fonts.txt" "$tools/fonts.in"
{
  echo "# The certificate font's package, checked against the hash of its wheel: CI installs it"
  echo "# first with \`pip install --require-hashes -r requirements/fonts.txt\`. Made by"
  echo "# scripts/refresh-constraints.sh from the pin in constraints.txt; see NOTICE."
  grep -vE '^\s*#|^\s*$' "$tools/fonts.txt"
} > requirements/fonts.txt
git --no-pager diff --stat -- requirements/

#!/usr/bin/env bash
# Compatibility matrix: the test suite against the lowest versions pyproject.toml declares, or
# against the newest versions that resolve today.
#
#   bash ci/compat.sh lowest   # -e ".[dev]" with ci/constraints-lowest.txt
#   bash ci/compat.sh newest   # -e ".[dev]" upgraded eagerly, no constraints
#
# Each leg builds a fresh virtualenv in .venv-compat-<leg> (git-ignored) and runs
# `python -m pytest -q -p no:cacheprovider -m "not live"`; it exits non-zero if the install or
# any test fails. Needs only Python (3.10+; CI uses 3.11) and pip with access to PyPI.
# PYTHON=/path/to/python picks the interpreter (default: python3).
set -euo pipefail

leg="${1:-}"
case "$leg" in
    lowest | newest) ;;
    *)
        echo "usage: bash ci/compat.sh lowest|newest" >&2
        exit 2
        ;;
esac

cd "$(dirname "$0")/.."
venv=".venv-compat-$leg"
started=$SECONDS

echo "== compatibility matrix, leg: $leg ($venv)"
rm -rf "$venv"
"${PYTHON:-python3}" -m venv "$venv"
py="$venv/bin/python"
"$py" -m pip install --quiet --upgrade pip

echo "== $leg leg: install"
if [ "$leg" = lowest ]; then
    "$py" -m pip install --quiet -e ".[dev]" -c ci/constraints-lowest.txt
else
    "$py" -m pip install --quiet --upgrade --upgrade-strategy eager -e ".[dev]"
fi
"$py" -m pip check

echo "== $leg leg: versions"
"$py" -m pip freeze --exclude-editable \
    | grep -iE '^(httpx|httpx-aiohttp|pydantic|pydantic[-_]core|langchain|langchain-core|langchain-tests|langgraph|llama-index-core|llama-index-workflows|starlette|uvicorn|databricks-sdk|aiohttp)==' \
    || true

echo "== $leg leg: tests"
status=0
"$py" -m pytest -q -p no:cacheprovider -m "not live" || status=$?

elapsed=$((SECONDS - started))
if [ "$status" -eq 0 ]; then
    echo "== compatibility leg $leg: passed (${elapsed} s)"
else
    echo "== compatibility leg $leg: FAILED, pytest exit $status (${elapsed} s)" >&2
fi
exit "$status"

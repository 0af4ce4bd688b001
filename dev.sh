#!/usr/bin/env bash
# One entry point for a fresh machine (Python 3.11 + pip):
#   bash dev.sh demo   set up, then run `retold scan` on the bundled example and show the result
#   bash dev.sh test   set up (with test extras and a headless browser), then run the test suite
# Everything retold needs is installed here, into .venv/ (and Debian's chromium for UI tests).
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3}
VENV=.venv

setup() {
  local extras=$1
  if [[ ! -x $VENV/bin/python ]]; then
    "$PY" -m venv "$VENV"
  fi
  local spec="."
  [[ -n $extras ]] && spec=".[${extras}]"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e "$spec"
}

browser() {
  # Headless Chromium for the HTML report / web UI tests: Debian's package, never a download.
  if [[ ! -x /usr/bin/chromium ]]; then
    if command -v apt-get >/dev/null; then
      SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
      $SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
      echo "dev.sh: /usr/bin/chromium is missing and apt-get is not available" >&2
      exit 1
    fi
  fi
}

case "${1:-}" in
  demo)
    setup ""
    rm -rf result
    "$VENV/bin/retold" scan examples/news --out result
    echo "--- result/pairs.jsonl"; cat result/pairs.jsonl
    echo "--- result/clusters.jsonl"; cat result/clusters.jsonl
    ;;
  test)
    setup "test,serve"
    browser
    # real prose for the bench corpus tests: gensim's test data, a wheel from the registry
    "$VENV/bin/python" -c "import sys; sys.path.insert(0, 'bench'); import _prose; _prose.load_sentences()"
    shift
    # branch coverage of the package, worker processes included (see [tool.coverage] in pyproject.toml)
    "$VENV/bin/python" -m pytest --cov=retold --cov-branch --cov-report=term:skip-covered --cov-fail-under=90 "$@"
    ;;
  *)
    echo "usage: bash dev.sh demo|test [pytest args]" >&2
    exit 2
    ;;
esac

#!/usr/bin/env bash
# Install tracegraph, its backends and the test tools into ./.venv (or $VENV).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3}

# Graphviz's `dot` draws pydotprint's pictures; install it where we can (root on Debian).
if ! command -v dot >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null) \
      || echo "install.sh: could not install graphviz; pydotprint will explain what is missing" >&2
  else
    echo "install.sh: Graphviz's dot is missing; install the graphviz package for pydotprint" >&2
  fi
fi

[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
# Each backend (and the worked example of a third-party one) is its own distribution,
# installed the way a third-party plugin would be.
plugins=()
for p in plugins/*/ examples/third_party_backend/; do
  [ -f "$p/pyproject.toml" ] && plugins+=(-e "$p")
done
"$VENV/bin/python" -m pip install -q -e ".[test]" "${plugins[@]}"

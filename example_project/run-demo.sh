#!/usr/bin/env bash
# One command from a fresh clone to a running demo:
#
#     bash example_project/run-demo.sh
#
# Creates .venv/ in the repository (or uses $LETSADS_DEMO_VENV) with Python 3.11+, installs this
# package in editable mode with the "example" extra, then runs example_project/demo.py, which
# migrates, creates the demo admin user, and starts the simulator, the worker, the poller and the
# web server. Arguments are passed on to demo.py (try --help). Ctrl-C stops everything.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${LETSADS_DEMO_VENV:-$ROOT/.venv}"

find_python() {
    local candidate
    for candidate in ${PYTHON:-} python3.13 python3.12 python3.11 python3; do
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    echo "run-demo.sh: Python 3.11 or newer is required (set PYTHON=/path/to/python3)." >&2
    return 1
}

if [ ! -x "$VENV/bin/python" ]; then
    PY="$(find_python)"
    echo "[demo] creating a virtualenv in $VENV with $PY ..."
    "$PY" -m venv "$VENV"
fi

STAMP="$VENV/.django-letsads-demo-installed"
if [ ! -f "$STAMP" ] || [ "$ROOT/pyproject.toml" -nt "$STAMP" ]; then
    echo "[demo] installing django-letsads (editable) with the example extra ..."
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e "$ROOT[example]"
    touch "$STAMP"
fi

exec "$VENV/bin/python" "$ROOT/example_project/demo.py" "$@"

#!/usr/bin/env bash
# Build the sdist and wheel, check what they contain, install the wheel into a fresh virtualenv
# and run the example project's `check` and `migrate` against the installed package (not the
# checkout). Called from .ci/run; usable alone:  bash .ci/package-check.sh [python]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${1:-${PYTHON:-python3}}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/letsads-package.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
cd "$ROOT"

echo "== build (sdist + wheel) into $WORK/dist"
"$PY" -m build --outdir "$WORK/dist" "$ROOT" >"$WORK/build.log" 2>&1 || {
    cat "$WORK/build.log"
    exit 1
}
WHEEL="$(ls "$WORK"/dist/*.whl)"
SDIST="$(ls "$WORK"/dist/*.tar.gz)"
echo "   $(basename "$WHEEL")  $(basename "$SDIST")"

echo "== twine check"
"$PY" -m twine check --strict "$WORK"/dist/*

echo "== wheel contents: every packaged file of the checkout is in the wheel"
"$PY" - "$WHEEL" "$SDIST" "$ROOT" <<'PYCODE'
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

wheel, sdist, root = sys.argv[1], sys.argv[2], Path(sys.argv[3])
names = set(zipfile.ZipFile(wheel).namelist())
tracked = subprocess.run(
    ["git", "ls-files", "django_letsads"], cwd=root, capture_output=True, text=True, check=True
).stdout.split()
wanted = {name for name in tracked if "__pycache__" not in name and not name.endswith(".pyc")}
missing = sorted(wanted - names)
required_kinds = {
    "py.typed": "django_letsads/py.typed",
    "migrations": "django_letsads/migrations/0001_initial.py",
}
for kind, prefix in [("templates", "django_letsads/templates/"), ("static", "django_letsads/static/"),
                     ("locale .po", "django_letsads/locale/"), ("locale .mo", "django_letsads/locale/")]:
    suffix = ".mo" if kind == "locale .mo" else (".po" if kind == "locale .po" else "")
    in_tree = [n for n in wanted if n.startswith(prefix) and n.endswith(suffix)]
    if in_tree:
        required_kinds[kind] = in_tree[0]
problems = [f"missing from the wheel: {name}" for name in missing]
problems += [f"no {kind} in the wheel ({path})" for kind, path in required_kinds.items() if path not in names]
sdist_names = {n.split("/", 1)[1] for n in tarfile.open(sdist).getnames() if "/" in n}
for needed in ["README.rst", "CHANGELOG.rst", "LICENSE", "pyproject.toml", "example_project/manage.py"]:
    if needed not in sdist_names:
        problems.append(f"missing from the sdist: {needed}")
if problems:
    sys.exit("\n".join(problems))
print(f"   {len(names)} files in the wheel; {', '.join(sorted(required_kinds))} present")
PYCODE

echo "== fresh virtualenv with the wheel"
"$PY" -m venv "$WORK/venv"
"$WORK/venv/bin/python" -m pip install --quiet --disable-pip-version-check "$WHEEL" "django-environ>=0.11"

echo "== example project against the installed wheel"
export DATABASE_URL="sqlite:///$WORK/example.sqlite3"
export DJANGO_SETTINGS_MODULE=example_project.settings
# Run from outside the checkout: `import django_letsads` must find the wheel, not the source tree.
cd "$WORK"
"$WORK/venv/bin/python" - "$WORK/venv" <<'PYCODE'
import sys
import django_letsads
location = django_letsads.__file__
if not location.startswith(sys.argv[1]):
    sys.exit(f"django_letsads was imported from {location}, not from the fresh virtualenv")
print(f"   django_letsads {django_letsads.__version__} from {location}")
PYCODE
"$WORK/venv/bin/python" "$ROOT/example_project/manage.py" check --fail-level WARNING
"$WORK/venv/bin/python" "$ROOT/example_project/manage.py" migrate --noinput -v 0
"$WORK/venv/bin/python" "$ROOT/example_project/manage.py" makemigrations --check --dry-run django_letsads
"$WORK/venv/bin/python" "$ROOT/example_project/manage.py" send_otp --help >/dev/null
echo "== package check passed"

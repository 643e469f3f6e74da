"""The Python x Django matrix, lint, types and packaging: ``nox`` (``pip install nox``).

``nox -l`` lists the sessions; ``nox -s "tests(3.12-django6.0)"`` runs one. Interpreters are
found on ``PATH``; pyenv installations under ``~/.pyenv/versions`` are added to it, so a machine
with several pyenv Pythons runs the whole matrix. Set ``LETSADS_TEST_DB=postgres`` to run the
suites on the local PostgreSQL instead of SQLite.
"""

from __future__ import annotations

import os
from pathlib import Path

import nox

nox.options.default_venv_backend = "venv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["tests", "lint", "typing", "package"]

# Django 5.2 LTS supports Python 3.10-3.14; Django 6.x needs Python 3.12 or newer.
MATRIX = [
    ("3.11", "5.2"),
    ("3.12", "5.2"),
    ("3.12", "6.0"),
    ("3.13", "6.0"),
]
DJANGO_SPEC = {"5.2": "django>=5.2,<5.3", "6.0": "django>=6.0,<7"}


def _add_pyenv_to_path() -> None:
    versions = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    if not versions.is_dir():
        return
    bins = [
        str(v / "bin") for v in sorted(versions.iterdir(), reverse=True) if (v / "bin").is_dir()
    ]
    os.environ["PATH"] = os.pathsep.join([*bins, os.environ.get("PATH", "")])


_add_pyenv_to_path()


@nox.session
@nox.parametrize(("python", "django"), MATRIX, ids=[f"{p}-django{d}" for p, d in MATRIX])
def tests(session: nox.Session, django: str) -> None:
    """The test suite (without the browser and reliability suites) on one Python and Django."""
    session.install("-e", ".[testsuite]", DJANGO_SPEC[django])
    session.run("python", "-m", "django", "--version")
    session.run(
        "pytest",
        "-q",
        "-m",
        "not browser and not reliability",
        *session.posargs,
        env={"LETSADS_TEST_DB": os.environ.get("LETSADS_TEST_DB", "sqlite")},
    )


@nox.session(python="3.12")
def lint(session: nox.Session) -> None:
    session.install("ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python="3.12")
def typing(session: nox.Session) -> None:
    session.install("-e", ".[dev,example]")
    session.run("mypy", "django_letsads")


@nox.session(python="3.12")
def package(session: nox.Session) -> None:
    """Build, ``twine check``, install the wheel into a fresh venv, run the example project."""
    session.install("build", "twine")
    session.run("bash", ".ci/package-check.sh", "python", external=True)


@nox.session(python="3.12")
def readme(session: nox.Session) -> None:
    """Only the README's examples and tables."""
    session.install("-e", ".[testsuite]")
    session.run("pytest", "-q", "tests/test_readme.py", *session.posargs)


@nox.session(python="3.12")
def benchmarks(session: nox.Session) -> None:
    """The benchmark suite in its quick mode (``-- --full`` for the real sizes)."""
    session.install("-e", ".[testsuite]")
    session.run("python", "-m", "benchmarks", *(session.posargs or ["--quick"]))


@nox.session(python="3.12")
def mutation(session: nox.Session) -> None:
    """Mutation testing of the money-safety and text rules with mutmut (not in CI: it is slow).

    What is mutated and which tests judge it is ``[tool.mutmut]`` in ``pyproject.toml``.
    ``nox -s mutation`` runs every mutant; ``nox -s mutation -- "django_letsads.text*"`` only
    those of one module. One mutant at a time: every mutant reuses one test database, and the
    worker tests start simulators and processes of their own. ``mutmut results`` and ``mutmut
    show <name>`` (in the session's virtualenv) list and explain the survivors; the last run's
    figures and the survivors judged harmless are in ``docs/reliability.rst``.
    """
    session.install("-e", ".[test,example]", "mutmut>=3.3")
    session.run("mutmut", "run", "--max-children", "1", *session.posargs)
    session.run("mutmut", "results")

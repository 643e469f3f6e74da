"""The built wheel in a fresh ``startproject``, set up by following README.rst literally.

What an integrator does: build (here: once per test session, without network), install the wheel
into a new virtualenv, ``startproject``, append the Installation section's settings snippets, and
run ``migrate``, ``check``, ``check --deploy`` and the project's tests with no password anywhere.
The snippets come from the README itself, so this breaks when the README does.

The virtualenv has only the wheel; Django, pytest and pytest-django come from the running
interpreter's site-packages through a ``.pth`` file, so nothing is downloaded.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from django_letsads.simulator import Simulator
from tests.test_readme import README_TEXT, read_blocks, sections

pytestmark = pytest.mark.packaging

ROOT = Path(__file__).resolve().parent.parent
INSTALLATION = "Installation into an existing project"


def readme_blocks(section: str, language: str, kind: str | None = None) -> list[str]:
    blocks = read_blocks(sections(README_TEXT)[section])
    return [b.code for b in blocks if b.language == language and kind in (None, b.kind)]


def run(
    command: list[str], cwd: Path, env: dict[str, str], *, ok: bool = True
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    if ok:
        assert done.returncode == 0, f"{command}:\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package's wheel, built once per session from this checkout."""
    pytest.importorskip("hatchling", reason="the wheel is built without network: needs hatchling")
    out = tmp_path_factory.mktemp("dist")
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
    command += ["--no-index", "--disable-pip-version-check", "-q", "-w", str(out), str(ROOT)]
    run(command, ROOT, {**os.environ, "PIP_NO_INPUT": "1"})
    (built,) = out.glob("django_letsads-*.whl")
    return built


@pytest.fixture(scope="session")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new virtualenv with the wheel installed; its other packages are the running ones."""
    home = tmp_path_factory.mktemp("venv")
    run([sys.executable, "-m", "venv", "--without-pip", str(home)], home, dict(os.environ))
    python = home / "bin" / "python"
    install = [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps"]
    install += ["--no-index", "--disable-pip-version-check", "-q", str(wheel)]
    run(install, home, dict(os.environ))
    site = run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        home,
        dict(os.environ),
    ).stdout.strip()
    # Added after the wheel's own site-packages, so the wheel's django_letsads comes first. Only
    # site-packages folders: PYTHONPATH (this checkout) must not leak in.
    running = [path for path in sys.path if Path(path).name == "site-packages"]
    Path(site, "running-interpreter.pth").write_text("\n".join(running) + "\n", encoding="utf-8")
    return python


@pytest.fixture
def gateway() -> Iterator[Simulator]:
    """A simulator with the README's login: the project's tests must send it nothing."""
    with Simulator() as sim:
        sim.add_account("380501234567", "unused")
        yield sim


def test_the_wheel_in_a_fresh_project_following_the_readme(
    venv: Path, tmp_path: Path, gateway: Simulator
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LETSADS_", "DJANGO_"))}
    env.pop("PYTHONPATH", None)  # the checkout must not be importable: only the wheel
    python = str(venv)
    run([python, "-m", "django", "startproject", "mysite", str(tmp_path)], tmp_path, env)
    run([python, "manage.py", "startapp", "shop"], tmp_path, env)

    settings_py = tmp_path / "mysite" / "settings.py"
    snippets = readme_blocks(INSTALLATION, "python", "settings")
    assert snippets, "README's Installation section has no settings snippet"
    test_only = f"""
INSTALLED_APPS += ["shop"]
if os.environ.get("WITH_LETSADS_BACKEND"):  # what a project's own settings may say
    SMS_BACKEND = "django_letsads.backends.letsads.SmsBackend"
    LETSADS["API_URL"] = {gateway.url!r}
"""
    with settings_py.open("a", encoding="utf-8") as settings:
        settings.write("\n\n" + "\n\n".join(snippets) + test_only)
    (tmp_path / "shop" / "tests.py").write_text(
        readme_blocks("Testing your own app", "python", "testcase")[0], encoding="utf-8"
    )

    where = run(
        [python, "-c", "import django_letsads; print(django_letsads.__file__)"], tmp_path, env
    )
    assert where.stdout.startswith(str(venv.parent.parent)), where.stdout

    # No password anywhere: the database, the checks and the tests still work.
    migrate = run([python, "manage.py", "migrate", "--noinput"], tmp_path, env)
    assert "django_letsads" in migrate.stdout
    check = run([python, "manage.py", "check"], tmp_path, env)
    assert "django_letsads.W020" in check.stderr
    deploy = run([python, "manage.py", "check", "--deploy"], tmp_path, env, ok=False)
    assert deploy.returncode != 0
    assert "django_letsads.E001" in deploy.stderr

    tests = run(
        [python, "manage.py", "test", "shop", "-v", "2"],
        tmp_path,
        {**env, "WITH_LETSADS_BACKEND": "1"},
    )
    assert "test_code_is_texted" in tests.stderr
    assert "OK" in tests.stderr

    # pytest set up as the README says: the wheel's plugin is found through its entry point.
    (tmp_path / "pyproject.toml").write_text(
        readme_blocks("Testing your own app", "toml")[0], encoding="utf-8"
    )
    pytest_run = run(
        [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "shop/tests.py"],
        tmp_path,
        {**env, "WITH_LETSADS_BACKEND": "1"},
    )
    assert "1 passed" in pytest_run.stdout
    assert gateway.log() == []  # nothing reached the gateway, from either runner

    simulator = subprocess.Popen(
        [python, "manage.py", "letsads_simulator", "--port", "0"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert simulator.stdout is not None
        assert simulator.stdout.readline().startswith("LetsAds simulator on http://127.0.0.1:")
    finally:
        simulator.terminate()
        simulator.wait(timeout=30)

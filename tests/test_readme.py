"""The README cannot rot: every Python example in it runs here, and its tables match the code.

Each ``.. code-block:: python`` of README.rst is run according to an RST comment placed just
before it (``.. readme-test: <kind>``), by default ``run``:

``run``       executed in this process, with a database, the ``letsads_simulator`` fixture and
              ``SMS_BACKEND`` set to the LetsAds backend, so results are the gateway's own.
``outbox``    as ``run``, with ``SMS_BACKEND`` set to the outbox backend.
``settings``  a settings snippet: executed after the settings ``startproject`` writes, then its
              ``LETSADS`` keys must exist in ``conf.DEFAULTS``, ``SMS_BACKEND`` must import and the
              app be installed. (tests/test_integration.py appends the Installation section's
              snippets to a real ``startproject``.)
``testcase``  a Django test module: its ``TestCase`` classes run as Django's runner would, with
              the LetsAds backend and a simulator configured, which must receive nothing.
``pytest``    an example test module: written to a file and run by pytest in a subprocess.
``skip``      not executed; only allowed with a reason (``.. readme-test: skip <why>``).
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pytest
from django.utils.module_loading import import_string

from django_letsads import conf, settings_rules
from django_letsads.exceptions import GATEWAY_ERRORS, error_for_code
from django_letsads.status import GATEWAY_STATUS_MAP, Status

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.rst"
KINDS = {"run", "outbox", "settings", "testcase", "pytest", "skip"}
LETSADS_BACKEND = "django_letsads.backends.letsads.SmsBackend"
OUTBOX_BACKEND = "django_letsads.backends.outbox.SmsBackend"
REPOSITORY = "https://github.com/django-letsads/django-letsads"
RAW = "https://raw.githubusercontent.com/django-letsads/django-letsads/main/"

_DIRECTIVE = re.compile(r"^\.\. code-block::\s*(\S+)\s*$")
_MARK = re.compile(r"^\.\. readme-test:\s*(\w+)\s*(.*)$")


@dataclass(frozen=True)
class Block:
    line: int  # 1-based line of the ``.. code-block::`` directive
    first: int  # 1-based line of the code's first line
    language: str
    kind: str
    reason: str
    code: str

    def __str__(self) -> str:
        return f"README.rst:{self.line}"


def read_blocks(text: str) -> list[Block]:
    """Every code block of an RST text with the kind its preceding ``readme-test`` comment gives."""
    lines = text.splitlines()
    blocks: list[Block] = []
    mark: tuple[str, str] | None = None
    i = 0
    while i < len(lines):
        line = lines[i]
        if found := _MARK.match(line):
            mark = (found.group(1), found.group(2).strip())
        elif found := _DIRECTIVE.match(line):
            body: list[str] = []
            j = i + 1
            while j < len(lines) and (not lines[j].strip() or lines[j].startswith((" ", "\t"))):
                body.append(lines[j])
                j += 1
            kind, reason = mark or ("run", "")
            leading = next((n for n, text in enumerate(body) if text.strip()), 0)
            code = textwrap.dedent("\n".join(body)).strip("\n") + "\n"
            blocks.append(Block(i + 1, i + 2 + leading, found.group(1), kind, reason, code))
            mark = None
            i = j
            continue
        elif line.strip() and not line.startswith(".. "):
            mark = None  # a mark applies to the very next block only
        i += 1
    return blocks


def sections(text: str) -> dict[str, str]:
    """Top-level sections (titles underlined with ``=``) by title."""
    lines = text.splitlines()
    found: dict[str, str] = {}
    title, start = "", 0
    for i in range(1, len(lines)):
        underline = lines[i]
        is_title = (
            underline
            and set(underline) == {"="}
            and lines[i - 1].strip()
            and len(underline) >= len(lines[i - 1].rstrip())
            and (i < 2 or lines[i - 2].strip() != underline)
            and (i + 1 >= len(lines) or lines[i + 1] != underline)
        )
        if is_title:
            if title:
                found[title] = "\n".join(lines[start : i - 1])
            title, start = lines[i - 1].strip(), i + 1
    if title:
        found[title] = "\n".join(lines[start:])
    return found


README_TEXT = README.read_text(encoding="utf-8")
BLOCKS = read_blocks(README_TEXT)
PYTHON = [b for b in BLOCKS if b.language == "python"]
SECTIONS = sections(README_TEXT)


def compiled(block: Block) -> Any:
    """Code object whose line numbers are README.rst's, so tracebacks point into the README."""
    return compile("\n" * (block.first - 1) + block.code, str(README), "exec")


def _of_kind(kind: str) -> list[Any]:
    return [pytest.param(b, id=str(b)) for b in PYTHON if b.kind == kind]


# -- the examples ---------------------------------------------------------------------------------


def test_every_python_example_is_checked() -> None:
    assert len(PYTHON) >= 8
    for block in PYTHON:
        assert block.kind in KINDS, f"{block}: unknown readme-test kind {block.kind!r}"
        if block.kind == "skip":
            assert block.reason, f"{block}: a skipped example must say why it cannot run"
        compile(block.code, str(block), "exec")  # at least valid Python


def test_mark_applies_only_to_the_next_block() -> None:
    text = ".. readme-test: settings\n\n.. code-block:: python\n\n   A = 1\n\nProse.\n\n"
    text += ".. code-block:: python\n\n   B = 2\n"
    first, second = read_blocks(text)
    assert (first.kind, first.code, first.first) == ("settings", "A = 1\n", 5)
    assert (second.kind, second.code) == ("run", "B = 2\n")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("block", _of_kind("run"))
def test_run_example(block: Block, letsads_simulator: Any, settings: Any) -> None:
    settings.SMS_BACKEND = LETSADS_BACKEND
    exec(compiled(block), {"__name__": "readme_example"})  # noqa: S102


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("block", _of_kind("outbox"))
def test_outbox_example(block: Block, letsads_simulator: Any, settings: Any) -> None:
    settings.SMS_BACKEND = OUTBOX_BACKEND
    exec(compiled(block), {"__name__": "readme_example"})  # noqa: S102


def startproject_settings() -> dict[str, Any]:
    """The namespace of the ``settings.py`` that ``django-admin startproject`` writes."""
    import django

    template = Path(django.__file__).parent / "conf/project_template/project_name/settings.py-tpl"
    code = re.sub(r"\{\{ *\w+ *\}\}", "mysite", template.read_text(encoding="utf-8"))
    namespace: dict[str, Any] = {"__file__": "/srv/mysite/mysite/settings.py"}
    exec(code, namespace)  # noqa: S102 - Django's own template
    return namespace


@pytest.mark.parametrize("block", _of_kind("settings"))
def test_settings_example(block: Block, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LETSADS_PASSWORD", "from-the-environment")
    namespace = startproject_settings()
    apps = list(namespace["INSTALLED_APPS"])
    exec(compiled(block), namespace)  # noqa: S102
    if "LETSADS" in namespace:
        letsads = namespace["LETSADS"]
        unknown = set(settings_rules.shared_dict(letsads)) - set(conf.DEFAULTS)
        assert not unknown, f"{block}: LETSADS keys not in conf.DEFAULTS: {sorted(unknown)}"
        if settings_rules.has_accounts(letsads):  # several accounts: each holds account keys
            assert "default" in letsads, f"{block}: LETSADS has accounts but no 'default'"
            for alias, account in settings_rules.account_dicts(letsads).items():
                wrong = set(account) - set(settings_rules.ACCOUNT_KEYS)
                assert not wrong, f"{block}: LETSADS[{alias!r}] holds shared keys {sorted(wrong)}"
    if "SMS_BACKEND" in namespace:
        assert callable(import_string(namespace["SMS_BACKEND"]))
    if namespace["INSTALLED_APPS"] != apps:  # added to the project's apps, none replaced
        assert namespace["INSTALLED_APPS"] == [*apps, "django_letsads"]
        replaced = [
            node
            for node in ast.walk(ast.parse(block.code))
            if isinstance(node, ast.Assign)
            and any(getattr(target, "id", "") == "INSTALLED_APPS" for target in node.targets)
        ]
        assert not replaced, f"{block}: adds to INSTALLED_APPS, never replaces the project's list"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("block", _of_kind("testcase"))
def test_testcase_example(block: Block, letsads_simulator: Any, settings: Any) -> None:
    import unittest

    from django.test import SimpleTestCase

    settings.SMS_BACKEND = LETSADS_BACKEND  # what a project's settings may say
    namespace: dict[str, Any] = {"__name__": "readme_example"}
    exec(compiled(block), namespace)  # noqa: S102
    cases = [v for v in namespace.values() if isinstance(v, type) and issubclass(v, SimpleTestCase)]
    assert cases, f"{block}: no test case"
    result = unittest.TestResult()
    for case in cases:
        unittest.defaultTestLoader.loadTestsFromTestCase(case).run(result)
    assert result.testsRun
    assert not result.errors + result.failures, [text for _, text in result.errors]
    assert letsads_simulator.log() == []  # nothing reached the gateway


@pytest.mark.parametrize("block", _of_kind("pytest"))
def test_pytest_example(block: Block, tmp_path: Path) -> None:
    test_file = tmp_path / "test_readme_example.py"
    test_file.write_text(block.code, encoding="utf-8")
    command = [sys.executable, "-m", "pytest", str(test_file), "-q", "-p", "no:cacheprovider"]
    command += ["-c", str(ROOT / "pyproject.toml"), "--rootdir", str(ROOT)]
    if not any(ep.value == "django_letsads.pytest_plugin" for ep in entry_points(group="pytest11")):
        command += ["-p", "django_letsads.pytest_plugin"]  # a checkout that is not installed
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    done = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    tests = len(re.findall(r"^def test_", block.code, re.MULTILINE))
    assert done.returncode == 0, f"{block}:\n{done.stdout}\n{done.stderr}"
    assert f"{tests} passed" in done.stdout


# -- the tables and the structure -----------------------------------------------------------------


def test_section_order() -> None:
    expected = [
        "Try it: two commands",
        "Installation into an existing project",
        "Sending from code",
        "Campaigns in the admin",
        "Running the worker in production",
        "Settings reference",
        "Statuses and errors",
        "The simulator",
        "Testing your own app",
        "Honest limits",
        "Benchmarks",
        "Reliability",
    ]
    titles = [t for t in SECTIONS if t in expected]
    assert titles == expected
    assert "/docs/images/admin-campaigns.png" in README_TEXT.split("Try it: two commands")[0]


def test_every_image_and_local_file_the_readme_names_exists() -> None:
    images = re.findall(r"^\.\. image:: (\S+)$", README_TEXT, re.MULTILINE)
    assert images[0] == f"{RAW}docs/images/admin-campaigns.png"  # the one at the top
    # The admin's screenshots (test_admin_everyday.py and the charts of the reports).
    assert set(images) == {
        *(
            f"{RAW}docs/images/admin-{name}.png"
            for name in ("campaigns", "live-progress", "campaign-form", "confirm")
        ),
        f"{RAW}docs/images/campaign-charts-light.png",
        f"{RAW}docs/images/campaign-charts-dark.png",
        # The counter of a personalised text (browser/test_personalised_browser.py).
        f"{RAW}docs/images/personalised-counter.png",
    }
    linked = re.findall(rf"<{REPOSITORY}/blob/main/([^>]+)>`_", README_TEXT)
    named = re.findall(r"``((?:docs|example_project|\.ci)/[\w./-]+\.\w+)``", README_TEXT)
    paths = [image.removeprefix(RAW) for image in images] + linked + named
    missing = [path for path in paths if not (ROOT / path).is_file()]
    assert not missing, f"README.rst names files that do not exist: {missing}"


def test_links_and_images_work_on_the_package_index_page() -> None:
    # PyPI shows README.rst without the repository around it: relative targets lead nowhere.
    targets = re.findall(r"`[^`<]*<([^>]+)>`_", README_TEXT)
    targets += re.findall(r"^\.\. (?:image|figure):: (\S+)$", README_TEXT, re.MULTILINE)
    assert targets
    relative = [t for t in targets if not t.startswith(("https://", "http://"))]
    assert not relative, f"relative links or images in README.rst: {relative}"


def test_the_two_commands() -> None:
    commands = [b.code.strip() for b in BLOCKS if b.language == "bash"][:2]
    assert commands == ["bash example_project/run-demo.sh", "bash .ci/run"]
    assert (ROOT / "example_project" / "run-demo.sh").is_file()
    assert (ROOT / ".ci" / "run").is_file()


def _table_rows(section: str) -> dict[str, str]:
    """First-column ``literal`` → rest of the line, for rows of RST simple tables."""
    rows: dict[str, str] = {}
    for line in SECTIONS[section].splitlines():
        if found := re.match(r"^``([^`]+)``\s{2,}(.*)$", line):  # prose has one space
            rows.setdefault(found.group(1), found.group(2))
    return rows


def test_settings_reference_matches_defaults() -> None:
    rows = _table_rows("Settings reference")
    assert set(rows) == set(conf.DEFAULTS)
    for key, rest in rows.items():
        default = re.match(r"``(.+?)``", rest)
        assert default, f"{key}: no default in the table"
        assert ast.literal_eval(default.group(1)) == conf.DEFAULTS[key], key
    assert f'(default ``"{conf.DEFAULT_BACKEND}"``)' in SECTIONS["Settings reference"]


def test_every_gateway_code_is_in_the_error_table() -> None:
    rows = _table_rows("Statuses and errors")
    codes = [*GATEWAY_ERRORS, "INCORRECT_RECIPIENT_<number>"]
    for code in codes:
        assert code in rows, f"{code} missing from the README's error table"
        expected = type(error_for_code(code.replace("<number>", "380501234567"))).__name__
        assert rows[code].startswith(f"``{expected}``"), f"{code}: README says {rows[code]!r}"


def test_every_status_and_status_code_is_documented() -> None:
    rows = _table_rows("Statuses and errors")
    assert {s.value for s in Status} <= set(rows)
    text = " ".join(SECTIONS["Statuses and errors"].split())
    for code, status in GATEWAY_STATUS_MAP.items():
        assert f"``{code}`` → *{status.value}*" in text


@pytest.mark.parametrize(
    "path",
    [
        README,
        ROOT / "CHANGELOG.rst",
        ROOT / "CONTRIBUTING.rst",
        *sorted((ROOT / "docs").glob("*.rst")),
    ],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_documents_render_without_warnings(path: Path) -> None:
    docutils_core = pytest.importorskip("docutils.core")
    import io

    warnings = io.StringIO()
    docutils_core.publish_doctree(
        path.read_text(encoding="utf-8"),
        settings_overrides={"warning_stream": warnings, "report_level": 2, "halt_level": 5},
    )
    assert warnings.getvalue() == ""

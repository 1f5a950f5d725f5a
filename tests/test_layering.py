"""The layout's rules (docs/architecture.md, "Where things live"), enforced.

- ``analytics`` and ``nlp`` import no Django and no app; ``lib`` imports no app, and Django
  only in the few helpers made for Django (``DJANGO_GLUE``). Checked by importing each module
  in a fresh interpreter and looking at ``sys.modules``, so an import three modules deep
  counts too.
- Storage (``ingest``, ``touchpoints``, and ``people``, which storage merges through) imports
  no app downstream of it: it announces what it stored with signals.
- Nothing imports ``web``: it is the top layer.

Both import rules read every ``import`` statement, including those inside functions.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "devotion"
PURE = ("analytics", "nlp", "lib")
# Helpers in lib that exist to serve Django views (and import no app).
DJANGO_GLUE = {"devotion.lib.paging", "devotion.lib.rendering"}
STORAGE = ("ingest", "touchpoints", "people")
DOWNSTREAM = ("webhooks", "voice", "followup", "retention", "web", "api", "trust", "demo")
APPS = {p.name for p in PACKAGE.iterdir() if (p / "apps.py").exists()}


def _modules(package: str) -> list[str]:
    root = PACKAGE / package
    return sorted(
        "devotion."
        + ".".join(path.relative_to(PACKAGE).with_suffix("").parts).removesuffix(".__init__")
        for path in root.rglob("*.py")
    )


def _imports(path: Path) -> list[str]:
    """Every module ``path`` imports, at any depth of the file."""
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
            names.extend(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _loaded_by(module: str) -> list[str]:
    code = (
        "import json, sys; import importlib; importlib.import_module(sys.argv[1]); "
        "print(json.dumps(sorted(sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, module], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def test_the_pure_packages_exist():
    for package in PURE:
        assert (PACKAGE / package / "__init__.py").exists()


@pytest.mark.slow  # starts a Python process per module
@pytest.mark.parametrize("package", PURE)
def test_pure_packages_import_no_app_and_no_django(package):
    offences = {}
    for module in _modules(package):
        loaded = _loaded_by(module)
        apps = sorted(
            name
            for name in loaded
            if name.split(".")[:2][-1] in APPS and name.startswith("devotion.")
        )
        django = [name for name in loaded if name == "django" or name.startswith("django.")]
        if apps or (django and module not in DJANGO_GLUE):
            offences[module] = apps or ["django"]
    assert not offences, f"imports an app or Django: {offences}"


def _offending_imports(packages: tuple[str, ...], forbidden: tuple[str, ...]) -> list[str]:
    found = []
    for package in packages:
        for path in (PACKAGE / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for name in _imports(path):
                parts = name.split(".")
                if parts[0] == "devotion" and len(parts) > 1 and parts[1] in forbidden:
                    found.append(f"{path.relative_to(PACKAGE.parent)} imports {name}")
    return found


def test_storage_imports_nothing_downstream_of_it():
    assert not _offending_imports(STORAGE, DOWNSTREAM)


def test_nothing_imports_web():
    others = tuple(
        sorted(p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name not in {"web"})
    )
    found = _offending_imports(others, ("web",))
    found += [
        f"devotion/{path.name} imports {name}"
        for path in PACKAGE.glob("*.py")
        for name in _imports(path)
        if name.startswith("devotion.web")
    ]
    assert not found


@pytest.mark.slow  # starts a Python process
def test_the_rules_catch_an_offence(tmp_path):
    """The checks above are not vacuous: a file that breaks a rule is found."""
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from devotion.webhooks.dispatch import emit\n")
    assert "devotion.webhooks.dispatch" in _imports(bad)
    assert any(name.startswith("django") for name in _loaded_by("devotion.lib.rendering")), (
        "the subprocess check must see Django where it is imported"
    )


def test_starting_a_command_loads_no_model_library():
    """Every command runs the system checks, which import every view through the URLs: a view
    that imports scikit-learn or SciPy at the top adds 0.5-1.5 s to every command and request
    worker start (a 1M-row import spent 3 s on its checks). Scoring imports them when it runs."""
    code = (
        "import json, os, sys; os.environ['DJANGO_SETTINGS_MODULE'] = 'devotion.settings'; "
        "import django; django.setup(); from django.core import checks; checks.run_checks(); "
        "print(json.dumps(sorted(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    heavy = [
        name
        for name in json.loads(out.stdout)
        if name.split(".")[0] in {"sklearn", "scipy", "duckdb", "pandas", "pyarrow"}
    ]
    assert not heavy, f"loaded at start-up: {heavy[:5]}"

"""The layers hold without tricks: no project app imports another inside a function.

import-linter (run by scripts/test.sh) sees every import, wherever it is written; this test
adds that none is hidden in a function, where it would only dodge an import loop.
"""

import ast
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
APPS = [*settings.PROJECT_APPS, "config"]


def _function_level_imports(path: Path, own_app: str):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for fn in ast.walk(tree):
        if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(fn):
            names = []
            if isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            for name in names:
                top = name.split(".")[0]
                if top in APPS and top != own_app:
                    yield f"{path.relative_to(ROOT)}:{node.lineno} imports {name}"


def test_no_app_imports_another_inside_a_function():
    found = []
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            found += list(_function_level_imports(path, app))
    assert found == []


def test_the_check_sees_a_hidden_import(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from ledger import services\n", encoding="utf-8")
    global ROOT
    saved, ROOT = ROOT, tmp_path
    try:
        assert list(_function_level_imports(module, "audit")) == ["m.py:2 imports ledger"]
    finally:
        ROOT = saved

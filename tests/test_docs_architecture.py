"""Every module named in docs/architecture.md's module table has its own test file (issue 10)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "readiness"


def _table_modules() -> list[str]:
    """The first-column names of the module table: ``errors.py``, ``travel/``, ``scripts/case_study.py``..."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    table = text.split("## Modules", 1)[1].split("\n## ", 1)[0]
    rows = [line.split("|")[1] for line in table.splitlines() if line.startswith("| `")]
    return [name for cell in rows for name in re.findall(r"`([\w/]+(?:\.py|/))`", cell)]


def _test_files_for(name: str) -> list[Path]:
    """``tests/test_<module>.py``; a package (``travel/``) is covered by ``tests/test_<package>*.py``."""
    if name.endswith("/"):
        return sorted((ROOT / "tests").glob(f"test_{name.rstrip('/')}*.py"))
    test = ROOT / "tests" / f"test_{Path(name).stem}.py"
    return [test] if test.is_file() else []


def test_the_table_names_modules_that_exist() -> None:
    names = _table_modules()
    assert {"errors.py", "engine.py", "travel/", "locate/"} <= set(names)
    for name in names:
        candidates = (PACKAGE / name, ROOT / name)
        assert any(path.exists() for path in candidates), f"docs/architecture.md names {name}, which is missing"


def test_every_module_in_the_table_has_its_test_file() -> None:
    packages = [name for name in _table_modules() if not name.endswith("/") or (PACKAGE / name / "__init__.py").is_file()]
    missing = [name for name in packages if not _test_files_for(name)]
    assert not missing, f"no tests/test_<module>.py for {missing}"


def test_every_top_level_module_is_in_the_table() -> None:
    named = {Path(name).name for name in _table_modules()}
    modules = {path.name for path in PACKAGE.glob("*.py") if not path.name.startswith("_")}
    assert not modules - named, f"modules missing from docs/architecture.md: {sorted(modules - named)}"

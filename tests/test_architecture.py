"""The package's house rules (style.md, issue 14), checked on the source so they cannot erode."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from conftest import REPO

PACKAGE = REPO / "sopkinerja"
MODULES = sorted(p.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("*.py"))
SQL = re.compile(r"\b(SELECT\s.+\sFROM|INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+TABLE|"
                 r"CREATE\s+(UNIQUE\s+)?INDEX|ALTER\s+TABLE|PRAGMA\s+\w+)\b", re.IGNORECASE | re.DOTALL)
# Types that several stages pass along live below every stage (style.md).
LOW_MODULES = ("records.py", "rules.py", "issues.py", "cells.py", "models.py", "files.py", "numbers.py")
STAGES = ("generate", "ingest", "validate", "decide", "feedback", "consolidate", "report", "timing", "run")


def _tree(module: str) -> ast.Module:
    return ast.parse((PACKAGE / module).read_text(encoding="utf-8"))


def _strings(module: str) -> list[str]:
    """The module's string literals, docstrings left out (they may name SQL they explain)."""
    tree = _tree(module)
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    return [node.value for node in ast.walk(tree) if isinstance(node, ast.Constant)
            and isinstance(node.value, str) and id(node) not in docstrings]


def _imports(module: str) -> set[str]:
    found = set()
    for node in ast.walk(_tree(module)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def _design_table() -> set[str]:
    """Every module path named in the first column of the table under ``## Package layout``."""
    text = (REPO / "docs" / "design.md").read_text(encoding="utf-8")
    section = text.split("## Package layout", 1)[1].split("\n## ", 1)[0]
    named = set()
    for line in section.splitlines():
        if line.startswith("| `"):
            first_column = line.split("|")[1]
            named |= set(re.findall(r"`([\w/]+\.py)`", first_column))
    return named


def test_the_design_tables_module_list_is_the_tree():
    named = _design_table()
    assert sorted(set(MODULES) - named) == [], "modules missing from docs/design.md's table"
    assert sorted(named - set(MODULES)) == [], "docs/design.md names modules that do not exist"


@pytest.mark.parametrize("module", MODULES)
def test_only_the_ledger_speaks_sql(module):
    if module.startswith("ledger/"):
        return
    assert [s for s in _strings(module) if SQL.search(s)] == []
    uses_connection = [node for node in ast.walk(_tree(module))
                       if isinstance(node, ast.Attribute) and node.attr == "db"]
    assert uses_connection == [], f"{module} reaches into Ledger.db"


@pytest.mark.parametrize("module", MODULES)
def test_only_the_cli_imports_click(module):
    if module != "cli.py":
        assert not {name for name in _imports(module) if name == "click" or name.startswith("click.")}


def test_one_place_handles_a_dying_worker():
    users = [m for m in MODULES if "BrokenProcessPool" in (PACKAGE / m).read_text(encoding="utf-8")]
    assert users == ["pool.py"]


def test_run_is_an_orchestrator():
    lines = (PACKAGE / "run.py").read_text(encoding="utf-8").count("\n")
    assert lines <= 250, f"run.py has {lines} lines: move the work into its stage's module"


@pytest.mark.parametrize("module", LOW_MODULES)
def test_shared_types_and_rules_import_no_stage(module):
    stages = {name for name in _imports(module) for stage in STAGES
              if name == f"sopkinerja.{stage}" or name.startswith(f"sopkinerja.{stage}.")}
    assert stages == set(), f"{module} imports a stage: it must stay below them"


def test_one_function_per_rule():
    """Capaian's formula, the kategori bands and the percent satuan are written once (rules.py);
    the request workbook's live formula is the one allowed twin (test_rules keeps it equal)."""
    formula = re.compile(r"\(\s*2\s*\*\s*\w+\s*-\s*\w+\s*\)\s*/")
    band = re.compile(r"\b91(\.0)?\b.*\b76(\.0)?\b", re.DOTALL)
    for module in MODULES:
        source = (PACKAGE / module).read_text(encoding="utf-8")
        code = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith("#"))
        if module not in ("rules.py", "generate/workbook.py"):
            assert not formula.search(code), f"{module} computes capaian itself"
        if module != "rules.py":
            assert not band.search(code), f"{module} has its own kategori bands"
            assert '"persen"' not in code and "== \"%\"" not in code, f"{module} has its own percent rule"


def test_issue_codes_are_checked_when_made():
    from sopkinerja.issues import Issue

    with pytest.raises(ValueError, match="unknown issue code"):
        Issue("no-such-code")


def test_the_templates_folder_is_shipped_and_documented():
    """``templates/`` (repository top) is the package ``sopkinerja.templates``; a workspace's own
    ``templates/`` (``berkas.templat``) overrides single files. Both roles are written down."""
    from sopkinerja.report.html import shipped_templates

    assert Path(shipped_templates()).resolve() == (REPO / "templates").resolve() or \
        (Path(shipped_templates()) / "recap.html.j2").is_file()
    design = (REPO / "docs" / "design.md").read_text(encoding="utf-8")
    assert "shipped templates" in design and "override" in design

"""The benchmarks run from an installation with the `bench` extra alone: none of them imports
the test suite (which needs pytest and its fixtures)."""

import ast
from pathlib import Path

BENCHMARKS = Path(__file__).parents[1] / "benchmarks"


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at any depth (inside functions too)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def test_no_benchmark_imports_the_tests():
    files = sorted(BENCHMARKS.rglob("*.py"))
    assert files
    offenders = {
        str(path.relative_to(BENCHMARKS)): sorted(
            name
            for name in imported_modules(path)
            if name.split(".")[0] in {"tests", "conftest", "pytest"}
        )
        for path in files
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_the_check_sees_an_import_inside_a_function(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("def prepare():\n    from tests.conftest import valid_credit_code\n")
    assert imported_modules(sample) == {"tests.conftest"}

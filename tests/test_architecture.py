"""The package arrows point one way: question_bank is pure, the web app never starts the scheduler."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]


def _imported_modules(package: str) -> set[str]:
    found = set()
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module.split(".")[0])
    return found


def test_question_bank_imports_neither_flask_nor_exam():
    assert not {"flask", "exam", "flask_sqlalchemy", "werkzeug"} & _imported_modules(
        "question_bank"
    )


def test_question_bank_imports_in_a_process_without_flask():
    code = (
        "import sys; import question_bank; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('flask', 'exam')]; "
        "assert not bad, bad; print('ok')"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_web_app_never_imports_the_scheduler():
    assert "scheduler" not in _imported_modules("exam")

"""The architecture holds: the import contracts in pyproject.toml (import-linter, which sees
imports inside functions too) are kept, and each of the first wave's breaks, put back into the
import graph, breaks one of them."""

import ast
import subprocess
import sys
from copy import deepcopy
from pathlib import Path

import grimp
import pytest
from importlinter.application import use_cases
from importlinter.configuration import configure
from importlinter.contracts.forbidden import ForbiddenContract
from importlinter.contracts.layers import LayersContract
from importlinter.contracts.protected import ProtectedContract

ROOT = Path(__file__).parents[1]
CONTRACT_TYPES = {
    "forbidden": ForbiddenContract,
    "layers": LayersContract,
    "protected": ProtectedContract,
}

configure()
OPTIONS = use_cases.read_user_options(str(ROOT / "pyproject.toml"))


@pytest.fixture(scope="module")
def graph():
    return grimp.build_graph(
        *OPTIONS.session_options["root_packages"],
        include_external_packages=True,
        exclude_type_checking_imports=True,
    )


def _broken(graph, extra_imports=()) -> set[str]:
    """Names of the contracts broken by the code's imports plus ``extra_imports``."""
    graph = deepcopy(graph)
    for importer, imported in extra_imports:
        for module in (importer, imported):
            if module not in graph.modules:
                graph.add_module(module)
        graph.add_import(importer=importer, imported=imported, line_number=1, line_contents="-")
    broken = set()
    for options in OPTIONS.contracts_options:
        contract = CONTRACT_TYPES[options["type"]](
            name=options["name"], session_options=OPTIONS.session_options, contract_options=options
        )
        if not contract.check(deepcopy(graph), verbose=False).kept:
            broken.add(contract.name)
    return broken


def test_the_code_keeps_every_contract(graph):
    assert _broken(graph) == set()


# Each of the first wave's breaks (issue 15), as the import that made it.
FIRST_WAVE_BREAKS = {
    "a view used as a library (exams' can_manage by a report)": (
        "exam.reports.queries.items",
        "exam.exams.manage",
    ),
    "a view used as a library (suggested courses by the exam views)": (
        "exam.exams.views",
        "exam.learning.views",
    ),
    "a view used as a library (counts by sector by home)": ("exam.home.views", "exam.people.views"),
    "the core reaching a feature (errors answering as the API)": (
        "exam.core.errors",
        "exam.exams.api",
    ),
    "the core reaching a feature (template globals)": ("exam.core.web", "exam.questions.models"),
    "the core reaching a feature (forms)": ("exam.core.forms", "exam.people.importing"),
    "the core reaching a feature (uploads)": ("exam.core.uploads", "exam.people.services"),
    "the register reaching exams (a person's file)": ("exam.people.views", "exam.exams.examday"),
    "accounts reaching the register": ("exam.auth.models", "exam.people.models"),
    "exams issuing certificates": ("exam.exams.api", "exam.certificates.services"),
    "learning reaching exams": ("exam.learning.services", "exam.exams.models"),
    "the question bank reaching exams (regrade)": ("exam.questions.views", "exam.exams.services"),
    "the web app loading the scheduler": ("exam.cli", "scheduler.__main__"),
    "the question bank importing Flask": ("question_bank.kinds", "flask"),
    "the question bank importing the web app": ("question_bank.papers", "exam.core.extensions"),
}


@pytest.mark.parametrize("importer, imported", FIRST_WAVE_BREAKS.values(), ids=FIRST_WAVE_BREAKS)
def test_each_first_wave_break_breaks_a_contract(graph, importer, imported):
    assert _broken(graph, [(importer, imported)])


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


def _dynamic_imports(package: Path) -> list[str]:
    found = []
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("import_module", "__import__"):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_the_web_app_makes_no_dynamic_imports():
    """An import the contracts cannot see (importlib.import_module, __import__) is refused."""
    assert _dynamic_imports(ROOT / "exam") == []


def test_the_dynamic_import_check_finds_one(tmp_path):
    (tmp_path / "sneaky.py").write_text("import importlib\nimportlib.import_module('scheduler')\n")
    (tmp_path / "sneakier.py").write_text("__import__('scheduler.__main__')\n")
    global ROOT
    saved, ROOT = ROOT, tmp_path
    try:
        assert len(_dynamic_imports(tmp_path)) == 2
    finally:
        ROOT = saved


def test_creating_the_web_app_loads_neither_the_cli_nor_the_scheduler():
    code = (
        "import sys; from exam import create_app; create_app({'TESTING': True}); "
        "bad = [m for m in sys.modules if m == 'exam.cli' or m.split('.')[0] == 'scheduler']; "
        "assert not bad, bad; print('ok')"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_every_contract_is_checked_here():
    """A contract of a type this test cannot build would go unchecked by it."""
    assert {o["type"] for o in OPTIONS.contracts_options} <= set(CONTRACT_TYPES)

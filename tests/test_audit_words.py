"""The audit log in words (issue 18): every action the code records has a name in the
catalogue, and the log page reads in Chinese — actions, objects, summaries and changes — with
no raw codes such as ``questions.import``, ``question #185 … v1``, ``enterprises +0 ~0`` or
``added:``."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from exam.audit import labels
from exam.audit.services import record
from exam.auth.models import UserRole
from exam.core.extensions import db
from exam.exams.models import AttemptEvent
from exam.questions.models import QuestionStatus
from exam.questions.services import TRANSITIONS
from exam.reference.views import KINDS as REFERENCE_KINDS

ROOT = Path(__file__).parents[1]


def _attempt_kinds() -> set[str]:
    """What the invigilators' ``_act(attempt, AttemptEvent.X, …)`` calls record."""
    tree = ast.parse((ROOT / "exam" / "exams" / "examday.py").read_text(encoding="utf-8"))
    return {
        getattr(AttemptEvent, node.args[1].attr)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and getattr(node.func, "id", None) == "_act"
        and isinstance(node.args[1], ast.Attribute)
    }


def _expansions(app) -> dict[str, set[str]]:
    """Each action written as an f-string, with the values its placeholder takes."""
    account_actions = {
        rule.defaults["action"]
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("accounts.") and "action" in (rule.defaults or {})
    }
    return {
        "attempt.{kind}": {f"attempt.{k}" for k in _attempt_kinds()},
        "account.{action}": {f"account.{a}" for a in account_actions},
        "question.{action}": {f"question.{a}" for a in TRANSITIONS},
        "{kind}.create": {f"{k}.create" for k in REFERENCE_KINDS},
        "{kind}.update": {f"{k}.update" for k in REFERENCE_KINDS},
    }


def _template(node: ast.JoinedStr) -> str:
    """An f-string as written: ``f"attempt.{kind}"`` → ``attempt.{kind}``."""
    return "".join(
        part.value if isinstance(part, ast.Constant) else "{" + ast.unparse(part.value) + "}"
        for part in node.values
    )


def _codes(node: ast.expr, expansions: dict[str, set[str]], where: str) -> set[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _codes(node.body, expansions, where) | _codes(node.orelse, expansions, where)
    if isinstance(node, ast.JoinedStr) and _template(node) in expansions:
        return expansions[_template(node)]
    raise AssertionError(f"{where}: an audit action this test cannot read: {ast.unparse(node)}")


def recorded_actions(app) -> dict[str, str]:
    """Every action code a ``record(...)`` call of the code base can write → where."""
    expansions = _expansions(app)
    found = {}
    for path in sorted([*(ROOT / "exam").rglob("*.py"), *(ROOT / "scheduler").rglob("*.py")]):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", getattr(node.func, "attr", None)) == "record"
                and node.args
            ):
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                for code in _codes(node.args[0], expansions, where):
                    found[code] = where
    return found


def test_every_action_the_code_records_has_a_name(app):
    found = recorded_actions(app)
    assert len(found) > 50  # the scan sees the code base, not an empty folder
    assert {"attempt.extended", "account.sign_out", "question.retire", "town.update"} <= set(found)
    unnamed = {code: where for code, where in found.items() if code not in labels.ACTIONS}
    assert not unnamed, f"audit actions without a label in exam/audit/labels.py: {unnamed}"
    stale = set(labels.ACTIONS) - set(found)
    assert not stale, f"labels for actions nothing records: {stale}"


def test_the_audit_log_reads_in_chinese(app, client, login_as, make_enterprise):
    admin = login_as(UserRole.ADMIN)
    enterprise = make_enterprise()
    with app.app_context():
        from exam.questions.models import Question

        record("questions.import", None, "+3 ~1 =2")
        record("people.import", None, "enterprises +0 ~0, people +2 ~0")
        question = db.session.scalars(db.select(Question)).first()
        question_id = question.id if question else 185
        entry = record(
            "question.retire",
            None,
            f"#{question_id} v1 安全帽的作用",
            {"status": [QuestionStatus.ACTIVE, QuestionStatus.RETIRED]},
        )
        entry.object_type, entry.object_id = "question", question_id
        record(
            "screening.attendance_add",
            enterprise,
            "安全警示片",
            {"added": ["张三 4401**********1234", "李四 4401**********5678"]},
        )
        record("account.sign_out", admin, admin.username)
        record("certificate.issue", None, "AP2026-1 张三", {"by": "automatic"})
        db.session.commit()
    page = client.get("/audit/").get_data(as_text=True)
    text = re.sub(r"<[^>]+>", " ", re.sub(r'value="[^"]*"|data-action="[^"]*"', "", page))
    for words in (
        "导入试题",
        "新增 3，更新 1，未变 2",
        "导入企业和人员",
        "企业：新增 0，更新 0；人员：新增 2，更新 0",
        f"试题 #{question_id} （第1版）安全帽的作用",
        "停用试题",
        "使用中 → 已停用",
        "新增： 张三 4401**********1234、李四",
        "强制下线",
        "账号 #",
        "核发合格证明",
        "自动核发",
    ):
        assert words in re.sub(r"\s+", " ", text), words
    for code in ("questions.import", "enterprises +", "added:", " v1 ", "account.sign_out"):
        assert code not in text, code
    # The filters still send the codes, named in words.
    assert '<option value="questions.import"' in page and ">导入试题</option>" in page
    filtered = client.get("/audit/", query_string={"action": "account.sign_out"})
    assert "强制下线" in filtered.get_data(as_text=True)
    assert "导入试题" not in re.sub(
        r"<option[^>]*>[^<]*</option>", "", filtered.get_data(as_text=True)
    )

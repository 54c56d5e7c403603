"""Importing questions (check, then confirm) and exporting the bank."""

from __future__ import annotations

from flask import current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from exam.auth.access import MANAGERS, roles_required
from exam.core.errors import problem_message
from exam.core.extensions import db
from exam.core.i18n import select_locale
from exam.core.timeutil import local_today
from exam.core.uploads import (
    claim_pending,
    download,
    find_pending,
    keep_pending,
    not_pending_any_more,
)
from exam.people.models import Sector
from exam.questions import services
from exam.questions.forms import QuestionImportForm, import_choices_form
from exam.questions.models import Question, QuestionStatus, Topic
from exam.questions.services import (
    ImportChoices,
    parse_upload,
    plan_import,
    read_upload,
    topic_tree,
    where,
)
from question_bank.formats.moodle import write_moodle
from question_bank.formats.template import write_template, write_template_csv

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PURPOSE = "questions"


def _problems(plan) -> list[tuple[str, str]]:
    return [(where(position), problem_message(problem)) for position, problem in plan.problems]


def _warnings(plan) -> list[tuple[str, str]]:
    """What will not be imported, question by question, in the user's language."""
    return [
        (where(position), problem_message(warning))
        for position, warnings in plan.warnings.items()
        for warning in warnings
    ]


def _choices(stored: dict | None) -> ImportChoices:
    """The choices kept with a pending import, as rows (a topic deleted since is forgotten)."""
    stored = stored or {}
    topic = stored.get("topic") and db.session.get(Topic, stored["topic"])
    sector = stored.get("sector") and db.session.get(Sector, stored["sector"])
    mapping = {
        category.lower(): mapped
        for category, topic_id in (stored.get("map") or {}).items()
        if (mapped := db.session.get(Topic, topic_id)) is not None
    }
    return ImportChoices(topic=topic or None, sector=sector or None, mapping=mapping)


def _form(plan, token: str, bound: bool = False):
    """The preview's form for the plan's categories: bound to the request, or prefilled."""
    topics = [(t.id, "　" * depth + f"{t.name}（{t.code}）") for t, depth in topic_tree()]
    sectors = [
        (s.id, s.display_name(select_locale()))
        for s in db.session.scalars(select(Sector).order_by(Sector.sort_order))
    ]
    categories = list(plan.categories)
    if bound:
        return import_choices_form(categories, topics, sectors)
    choices = plan.choices
    prefill = {
        f"category_{n}": topic.id
        for n, topic in enumerate(plan.categories.values())
        if topic is not None
    }
    return import_choices_form(
        categories,
        topics,
        sectors,
        token=token,
        topic=choices.topic.id if choices.topic else 0,
        sector=choices.sector.id if choices.sector else 0,
        **prefill,
    )


def _stored(form, categories: list[str]) -> dict:
    """The choices of a submitted preview form, as kept with the pending import."""
    return {
        "topic": form.topic.data or None,
        "sector": form.sector.data or None,
        "map": {c: f.data for c, f in zip(categories, form.category_fields, strict=True) if f.data},
    }


def _preview(plan, filename: str, form, status: int = 200, refused: bool = False):
    return render_template(
        "questions/import_preview.html",
        plan=plan,
        filename=filename,
        form=form,
        warnings=_warnings(plan),
        question_warnings={
            position: [problem_message(w) for w in warnings]
            for position, warnings in plan.warnings.items()
        },
        refused=refused and plan.unmapped,
        where=where,
    ), status


@roles_required(*MANAGERS)
def import_upload():
    form = QuestionImportForm()
    if form.validate_on_submit():
        limit = current_app.config["MAX_UPLOAD_MB"] * 1024 * 1024
        data = form.file.data.read(limit + 1)
        filename = (form.file.data.filename or "")[:200]
        if len(data) > limit:
            form.file.errors.append(
                _(
                    "The file is larger than the %(mb)s MB allowed.",
                    mb=current_app.config["MAX_UPLOAD_MB"],
                )
            )
            return render_template("questions/import.html", form=form), 413
        plan = parse_upload(filename, data, form.format.data)
        if not plan.checked:
            return render_template(
                "questions/import.html", form=form, problems=_problems(plan), filename=filename
            ), 422
        # The format travels with the name; a long name keeps its end (the extension matters).
        pending = keep_pending(current_user, PURPOSE, f"{form.format.data}:{filename[-150:]}", data)
        db.session.commit()
        return _preview(plan, filename, _form(plan, pending.token))
    return render_template("questions/import.html", form=form)


@roles_required(*MANAGERS)
def import_confirm():
    """Keep the choices made in the preview; import when asked to and nothing is left open."""
    token = request.form.get("token")
    pending = find_pending(token, current_user, PURPOSE)
    if pending is None:
        not_pending_any_more()
        return redirect(url_for("questions.import_upload"))
    fmt, _sep, filename = pending.filename.partition(":")
    result = read_upload(filename, pending.data, fmt)
    plan = plan_import(result, _choices(pending.choices))
    form = _form(plan, pending.token, bound=True)
    if not plan.checked or not form.validate_on_submit():
        # The file no longer passes (a topic or sector was deleted meanwhile) or the form is void.
        return render_template(
            "questions/import.html",
            form=QuestionImportForm(formdata=None),
            problems=_problems(plan) or [("", _("The form has expired; check it again."))],
            filename=filename,
        ), 422
    categories = list(plan.categories)
    pending.choices = _stored(form, categories)
    plan = plan_import(result, _choices(pending.choices))
    if form.apply.data or not plan.ok:
        db.session.commit()  # the choices wait with the upload
        refused = not form.apply.data  # asked to import with a category still open
        return _preview(plan, filename, form, 422 if refused else 200, refused)
    if claim_pending(token, current_user, PURPOSE) is None:
        return redirect(url_for("questions.import_upload"))
    report = services.apply_import(plan, current_user)
    db.session.commit()
    return render_template(
        "questions/import_done.html", report=report, filename=filename, warnings=_warnings(plan)
    )


TEMPLATE_NOTES = [
    "题型：单选题、多选题、判断题、填空题。选项写在“选项A”至“选项H”列，不要写“A.”前缀。",
    "答案：单选写 A；多选写 ABD；判断写 对 或 错；填空题各空用分号分隔，同一空的多个可接受答案用 | 分隔，"
    "如：安全第一|安全 第一；预防为主",
    "难度：易、中、难。用途：练习和考试、仅练习、仅考试。专题：专题编号（如 G1）或名称，多个用、分隔。",
    "行业领域、适用岗位可空（表示全部）。编号可空；填写后重复导入同一编号将更新该题而不重复创建。",
    "导入的试题为草稿，经审核后方可用于考试。",
]


@roles_required(*MANAGERS)
def import_template():
    return download(write_template([], TEMPLATE_NOTES), "安培-题库导入模板.xlsx", XLSX_MIME)


@roles_required(*MANAGERS)
def import_template_csv():
    return download(write_template_csv([]), "安培-题库导入模板.csv", "text/csv")


def _export_questions() -> list:
    query = (
        select(Question)
        .order_by(Question.id)
        .options(
            selectinload(Question.current),
            selectinload(Question.topics),
            selectinload(Question.sectors),
        )
    )
    if (status := request.args.get("status")) in QuestionStatus.ALL:
        query = query.where(Question.status == status)
    return [q.current.data() for q in db.session.scalars(query)]


@roles_required(*MANAGERS)
def export_xlsx():
    return download(
        write_template(_export_questions(), TEMPLATE_NOTES),
        f"安培-题库-{local_today().isoformat()}.xlsx",
        XLSX_MIME,
    )


@roles_required(*MANAGERS)
def export_moodle():
    return download(
        write_moodle(_export_questions()),
        f"anpei-questions-{local_today().isoformat()}.xml",
        "application/xml",
    )

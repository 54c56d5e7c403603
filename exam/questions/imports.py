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
from exam.core.timeutil import local_today
from exam.core.uploads import claim_pending, download, keep_pending
from exam.questions import services
from exam.questions.forms import ConfirmForm, QuestionImportForm
from exam.questions.models import Question, QuestionStatus
from exam.questions.services import parse_upload, where
from question_bank.formats.moodle import write_moodle
from question_bank.formats.template import write_template, write_template_csv

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PURPOSE = "questions"


def _problems(plan) -> list[tuple[str, str]]:
    return [(where(position), problem_message(problem)) for position, problem in plan.problems]


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
        if not plan.ok:
            return render_template(
                "questions/import.html", form=form, problems=_problems(plan), filename=filename
            ), 422
        # The format travels with the name; a long name keeps its end (the extension matters).
        pending = keep_pending(current_user, PURPOSE, f"{form.format.data}:{filename[-150:]}", data)
        db.session.commit()
        return render_template(
            "questions/import_preview.html",
            plan=plan,
            filename=filename,
            confirm=ConfirmForm(token=pending.token),
            where=where,
        )
    return render_template("questions/import.html", form=form)


@roles_required(*MANAGERS)
def import_confirm():
    form = ConfirmForm()
    pending = claim_pending(form.validate_on_submit() and form.token.data, current_user, PURPOSE)
    if pending is None:
        return redirect(url_for("questions.import_upload"))
    fmt, _sep, filename = pending.filename.partition(":")
    plan = parse_upload(filename, pending.data, fmt)
    if not plan.ok:
        db.session.commit()
        return render_template(
            "questions/import.html",
            form=QuestionImportForm(),
            problems=_problems(plan),
            filename=filename,
        ), 422
    report = services.apply_import(plan, current_user)
    db.session.commit()
    return render_template("questions/import_done.html", report=report, filename=filename)


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

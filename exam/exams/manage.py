"""Organisers' exam pages: compose and publish exams, follow attempts, export results."""

from __future__ import annotations

from datetime import timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from exam.audit.services import record
from exam.auth.access import MANAGERS, roles_required
from exam.auth.models import User
from exam.core.extensions import db
from exam.core.forms import options
from exam.core.i18n import select_locale
from exam.core.timeutil import from_form_time, local_today, to_form_time, utcnow
from exam.core.uploads import download
from exam.exams import examday, news, services, summary
from exam.exams.access import can_manage, get_exam_or_404
from exam.exams.forms import RULE_ROWS, ExamForm, MakeupForm
from exam.exams.models import Attempt, Exam, ExamStatus
from exam.learning.models import Course
from exam.people.models import Person, Sector, Town
from exam.questions.forms import KIND_LABELS
from exam.questions.models import Topic
from question_bank.papers import FULL_MARKS
from question_bank.spreadsheets import Table, write_xlsx


@roles_required(*MANAGERS)
def index():
    now = utcnow()
    exams = [
        e
        for e in db.session.scalars(select(Exam).order_by(Exam.opens_at.desc()))
        if can_manage(current_user, e)
    ]
    stats = {
        exam_id: (n, passed)
        for exam_id, n, passed in db.session.execute(
            select(
                Attempt.exam_id,
                func.count(Attempt.id),
                func.count(Attempt.id).filter(Attempt.passed),
            )
            .where(Attempt.counts)
            .group_by(Attempt.exam_id)
        )
    }
    return render_template(
        "exams/manage_index.html", exams=exams, now=now, stats=stats, ExamStatus=ExamStatus
    )


_local, _utc = to_form_time, from_form_time


def _form(exam: Exam | None) -> ExamForm:
    form = ExamForm()
    blueprint = (exam.blueprint if exam else None) or {}
    rows = max(RULE_ROWS, len(blueprint.get("rules", ())) + 1)
    while len(form.rules) < rows and not form.is_submitted():
        form.rules.append_entry()
    tree = db.session.scalars(select(Topic).order_by(Topic.code)).all()
    topics = [("", "—")] + [(t.code, t.path) for t in tree]
    form.coverage_areas.choices = options(
        (t.code, t.name)
        for t in sorted(tree, key=lambda t: (t.sort_order, t.code))
        if t.parent_id is None
    )
    sectors = db.session.scalars(select(Sector).order_by(Sector.sort_order)).all()
    for rule in form.rules:
        rule.form.topic.choices = options(topics)
        rule.form.sector.choices = options(
            [("", "—")] + [(s.code, s.display_name(select_locale())) for s in sectors]
        )
    form.sector_ids.choices = options((s.id, s.display_name(select_locale())) for s in sectors)
    form.town_ids.choices = options(
        (t.id, t.name) for t in db.session.scalars(select(Town).order_by(Town.sort_order))
    )
    form.prerequisite_course_id.choices = options(
        [(0, "—")]
        + [
            (c.id, c.title)
            for c in db.session.scalars(
                select(Course)
                .where(
                    Course.published_at.is_not(None)
                    | (Course.id == (exam and exam.prerequisite_course_id))
                )
                .order_by(Course.title)
            )
        ]
    )
    if exam is not None and not form.is_submitted():
        form.title.data, form.duration_minutes.data = exam.title, exam.duration_minutes
        form.opens_at.data, form.closes_at.data = _local(exam.opens_at), _local(exam.closes_at)
        form.pass_mark.data, form.attempts_allowed.data = exam.pass_mark, exam.attempts_allowed
        form.review_policy.data, form.scoring_policy.data = exam.review_policy, exam.scoring_policy
        form.one_question_per_page.data = exam.one_question_per_page
        form.focus_tracking.data, form.focus_loss_limit.data = (
            exam.focus_tracking,
            exam.focus_loss_limit,
        )
        form.one_device.data, form.allowed_networks.data = (
            exam.one_device,
            exam.allowed_networks or "",
        )
        form.access_code.data = exam.access_code or ""
        form.requires_training.data = exam.requires_training
        form.prerequisite_course_id.data = exam.prerequisite_course_id or 0
        coverage = blueprint.get("coverage") or {}
        form.coverage_per_area.data = coverage.get("per_area")
        form.coverage_areas.data = coverage.get("areas") or []
        saved = services.blueprint_of(exam)
        form.confirm_total.data = saved.confirmed_total == saved.total_points
        form.shuffle_questions.data = blueprint.get("shuffle_questions", True)
        form.shuffle_options.data = blueprint.get("shuffle_options", True)
        rules = exam.eligibility or {}
        form.roles.data, form.sector_ids.data = rules.get("roles", []), rules.get("sector_ids", [])
        form.town_ids.data = rules.get("town_ids", [])
        for entry, rule in zip(form.rules, blueprint.get("rules", []), strict=False):
            entry.form.count.data, entry.form.kind.data = rule["count"], rule["kind"]
            entry.form.points.data, entry.form.topic.data = rule["points"], rule.get("topic") or ""
            entry.form.sector.data = rule.get("sector") or ""
            entry.form.difficulty.data = rule.get("difficulty") or ""
    return form


def _blueprint(form: ExamForm) -> dict:
    rules = [
        {
            "count": r.count.data,
            "kind": r.kind.data,
            "points": r.points.data,
            "topic": r.topic.data or None,
            "sector": r.sector.data or None,
            "difficulty": r.difficulty.data or None,
        }
        for r in (entry.form for entry in form.rules)
        if r.count.data and r.points.data
    ]
    blueprint = {
        "rules": rules,
        "shuffle_questions": form.shuffle_questions.data,
        "shuffle_options": form.shuffle_options.data,
    }
    if form.coverage_per_area.data:
        blueprint["coverage"] = {
            "per_area": form.coverage_per_area.data,
            "areas": form.coverage_areas.data or [],
        }
    # The confirmation holds the total as it is now: rules changed later ask for it again.
    total = services.blueprint_of(Exam(blueprint=blueprint)).total_points
    if form.confirm_total.data and total != FULL_MARKS:
        blueprint["confirmed_total"] = total
    return blueprint


def _integrity(exam: Exam, form: ExamForm) -> None:
    exam.focus_tracking, exam.focus_loss_limit = (
        form.focus_tracking.data,
        form.focus_loss_limit.data,
    )
    exam.one_device, exam.requires_training = form.one_device.data, form.requires_training.data
    exam.prerequisite_course_id = form.prerequisite_course_id.data or None
    exam.allowed_networks = (form.allowed_networks.data or "").strip() or None
    exam.access_code = (form.access_code.data or "").strip().upper() or None


def _refused(exam: Exam | None, form: ExamForm, opens, closes) -> list[str]:
    """Why a published exam could not be published as edited (nothing for a draft, which
    publishing checks): the same check as publishing, on the exam as it would be saved."""
    if exam is None or not exam.is_published:
        return []
    proposed = Exam(
        blueprint=_blueprint(form), opens_at=opens, closes_at=closes, pass_mark=form.pass_mark.data
    )
    return [problem.render(_) for problem in services.check(proposed)]


@roles_required(*MANAGERS)
def edit(exam_id: int | None):
    exam = get_exam_or_404(exam_id) if exam_id else None
    drawn = bool(
        exam and db.session.scalar(select(func.count(Attempt.id)).where(Attempt.exam_id == exam.id))
    )
    form = _form(exam)
    refused: list[str] = []
    if form.validate_on_submit():
        opens, closes = _utc(form.opens_at.data), _utc(form.closes_at.data)
        scoped = Exam(
            eligibility={
                "sector_ids": form.sector_ids.data or [],
                "town_ids": form.town_ids.data or [],
            }
        )
        if closes <= opens:
            form.closes_at.errors.append(_("The exam must close after it opens."))
        elif not drawn and not can_manage(current_user, scoped):
            form.sector_ids.errors.append(
                _("Choose only sectors and towns/streets within your scope.")
            )
        elif drawn:
            # Papers are drawn: only what leaves them as they are may change.
            exam.title, exam.closes_at = form.title.data, max(closes, exam.closes_at)
            _integrity(exam, form)
            news.exam_changed(exam)
            record(
                "exam.update",
                exam,
                exam.title,
                {"title/closes_at/integrity": "changed after papers were drawn"},
            )
            db.session.commit()
            flash(
                _(
                    "Saved. Papers have been drawn, so only the title and a later closing time changed."
                ),
                "info",
            )
            return redirect(url_for("manage_exams.detail", exam_id=exam.id))
        # A published exam that could not be published as edited is not saved: the problems are named.
        elif not (refused := _refused(exam, form, opens, closes)):
            if exam is None:
                exam = Exam(created_by_id=current_user.id)
                db.session.add(exam)
            exam.title, exam.opens_at, exam.closes_at = form.title.data, opens, closes
            exam.duration_minutes, exam.pass_mark = form.duration_minutes.data, form.pass_mark.data
            exam.attempts_allowed, exam.review_policy = (
                form.attempts_allowed.data,
                form.review_policy.data,
            )
            exam.scoring_policy = form.scoring_policy.data
            exam.one_question_per_page = form.one_question_per_page.data
            exam.blueprint = _blueprint(form)
            _integrity(exam, form)
            exam.eligibility = {
                "roles": form.roles.data or [],
                "sector_ids": form.sector_ids.data or [],
                "town_ids": form.town_ids.data or [],
            }
            news.exam_changed(exam)
            record("exam.save", exam, exam.title)
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("manage_exams.detail", exam_id=exam.id))
    tree = services.topic_tree()
    proposed = services.blueprint_of(Exam(blueprint=_blueprint(form)))
    return render_template(
        "exams/manage_form.html",
        form=form,
        exam=exam,
        drawn=drawn,
        refused=refused,
        total=proposed.total_points,
        question_count=proposed.question_count,
        full_marks=FULL_MARKS,
        # For the running total's coverage line: each topic's area, the areas in order.
        topic_areas={code: tree.area_of(code) for code in tree.parents},
        areas=[[code, tree.name(code)] for code in tree.areas],
        # For its count per kind: [[kind, label], ...] in the bank's order.
        kind_labels=[[kind, str(label)] for kind, label in KIND_LABELS.items()],
    )


@roles_required(*MANAGERS)
def detail(exam_id: int):
    exam = get_exam_or_404(exam_id)
    attempts = db.session.execute(
        select(Attempt, User, Person)
        .join(User, User.id == Attempt.user_id)
        .outerjoin(Person, Person.id == User.person_id)
        .where(Attempt.exam_id == exam.id)
        .order_by(Attempt.id)
    ).all()
    now = utcnow()
    makeup = db.session.scalar(select(Exam).where(Exam.makeup_of_id == exam.id))
    makeup_form = None
    if makeup is None and exam.makeup_of_id is None and examday.closed_for_everybody(exam, now):
        makeup_form = MakeupForm()
        if not makeup_form.is_submitted():
            makeup_form.opens_at.data = _local(now).replace(second=0, microsecond=0) + timedelta(
                days=7
            )
            makeup_form.closes_at.data = makeup_form.opens_at.data + timedelta(days=7)
    return render_template(
        "exams/manage_detail.html",
        exam=exam,
        now=now,
        summary=summary.summary(exam, now),
        # Published, yet the bank no longer serves it: candidates cannot start (a warning).
        unservable=bool(examday.unservable(exam, now)),
        attempts=attempts,
        ExamStatus=ExamStatus,
        makeup=makeup,
        makeup_form=makeup_form,
    )


@roles_required(*MANAGERS)
def publish(exam_id: int):
    """GET: the set-up summary to confirm, with what stops publishing and what only warns;
    POST (the confirmation): publish, or back to the summary, which names what stops it."""
    from exam.accounts.forms import ActionForm

    exam = get_exam_or_404(exam_id)
    now = utcnow()
    if exam.is_published:
        return redirect(url_for("manage_exams.detail", exam_id=exam.id))
    form = ActionForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        problems = services.publish(exam, now)
        if not problems:
            db.session.commit()
            flash(summary.published_message(exam, now), "success")
            return redirect(url_for("manage_exams.detail", exam_id=exam.id))
        flash(_("Not published: see what stops it below."), "danger")
        return redirect(url_for("manage_exams.publish", exam_id=exam.id))
    return render_template(
        "exams/manage_publish.html",
        exam=exam,
        now=now,
        form=form,
        summary=summary.summary(exam, now),
    )


def _how_handed_in(attempt: Attempt) -> str:
    """The export's words for how an attempt ended, as its page says it (a submission after
    the grace period is the deadline closing it, see ``services.submit``)."""
    if attempt.submitted_at is None:
        return ""
    return "到时自动交卷" if attempt.auto_submitted else "本人交卷"


@roles_required(*MANAGERS)
def export(exam_id: int):
    exam = get_exam_or_404(exam_id)
    rows = []
    for attempt, user, person in db.session.execute(
        select(Attempt, User, Person)
        .join(User, User.id == Attempt.user_id)
        .outerjoin(Person, Person.id == User.person_id)
        .where(Attempt.exam_id == exam.id)
        .order_by(Attempt.id)
    ):
        rows.append(
            [
                person.name if person else user.name,
                person.id_number if person else user.username,
                person.enterprise.name if person and person.enterprise else "",
                attempt.number,
                _local(attempt.started_at),
                _local(attempt.submitted_at) if attempt.submitted_at else None,
                attempt.score,
                "已作废"
                if attempt.cancelled_at
                else ("合格" if attempt.passed else ("不合格" if attempt.passed is False else "")),
                _how_handed_in(attempt),
            ]
        )
    table = Table(
        "成绩",
        ["姓名", "身份证号", "企业", "第几次", "开始时间", "交卷时间", "得分", "结果", "交卷方式"],
        rows,
        [10, 22, 32, 8, 18, 18, 8, 8, 14],
    )
    return download(
        write_xlsx([table]),
        f"安培-{exam.title}-成绩-{local_today().isoformat()}.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )

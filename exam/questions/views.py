"""Managing the question bank: list, edit, review, preview, counts and the topic tree."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select

from exam.audit.services import apply_changes, record
from exam.auth.access import MANAGERS, roles_required
from exam.auth.models import UserRole
from exam.core.errors import problem_message
from exam.core.extensions import db
from exam.core.forms import options
from exam.core.i18n import select_locale
from exam.core.timeutil import utcnow
from exam.core.web import int_arg, page_arg, parse_id
from exam.people.models import Sector
from exam.questions import services
from exam.questions.access import get_question_or_404
from exam.questions.forms import DIFFICULTY_LABELS, KIND_LABELS, QuestionForm, TopicForm
from exam.questions.models import (
    Question,
    QuestionStatus,
    QuestionVersion,
    Topic,
    TopicLevel,
    question_sector,
    question_topic,
)
from exam.questions.services import topic_tree
from question_bank import kinds
from question_bank.model import LETTERS, QuestionData, Usage
from question_bank.problems import Problem

ACTION_LABELS = {
    "approve": lambda: _("Approve"),
    "activate": lambda: _("Put into use"),
    "retire": lambda: _("Retire"),
    "restore": lambda: _("Restore as draft"),
}


def answer_key(question: QuestionData | QuestionVersion) -> str:
    """A question's answer as a clerk writes it ("ABD", "对", "安全第一|安全 第一")."""
    return kinds.get(question.kind).format_answer(question.answer)


def kind_label(code: str) -> str:
    """A question kind by its name (单选题…), an unknown code as written."""
    return str(KIND_LABELS[code]) if code in kinds.KINDS else code


def answer_words(question: QuestionData | QuestionVersion) -> str:
    """A question's answer for reading: letters, 对 / 错, or each blank with its accepted
    answers ("第1空：安全第一 / 安全 第一"), never a raw list."""
    if question.kind == "fill" and isinstance(question.answer, list):
        return "；".join(
            _("Blank %(n)s: %(answers)s", n=n, answers=" / ".join(map(str, accepted)))
            for n, accepted in enumerate(question.answer, start=1)
        )
    if question.kind not in kinds.KINDS:
        return str(question.answer)
    return answer_key(question)


@roles_required(*MANAGERS)
def index():
    query = select(Question).join(
        QuestionVersion, QuestionVersion.id == Question.current_version_id
    )
    args = request.args
    if request.args.get("topic"):
        topic_id = int_arg("topic")
        topic = db.session.get(Topic, topic_id) if topic_id else None
        ids = topic.subtree_ids() if topic else [-1]  # an unknown topic matches nothing
        query = query.where(
            Question.id.in_(
                select(question_topic.c.question_id).where(question_topic.c.topic_id.in_(ids))
            )
        )
    if sector_id := int_arg("sector"):
        query = query.where(
            Question.id.in_(
                select(question_sector.c.question_id).where(
                    question_sector.c.sector_id == sector_id
                )
            )
        )
    if (kind := args.get("kind")) in kinds.KINDS:
        query = query.where(QuestionVersion.kind == kind)
    if (difficulty := args.get("difficulty")) in DIFFICULTY_LABELS:
        query = query.where(QuestionVersion.difficulty == difficulty)
    if (status := args.get("status")) in QuestionStatus.ALL:
        query = query.where(Question.status == status)
    if (usage := args.get("usage")) in Usage.ALL:
        query = query.where(Question.usage == usage)
    if q := args.get("q", "").strip()[:100]:
        query = query.where(
            or_(
                QuestionVersion.stem.contains(q),
                QuestionVersion.explanation.contains(q),
                QuestionVersion.legal_source.contains(q),
                Question.external_key == q,
            )
        )
    page = db.paginate(
        page=page_arg(), select=query.order_by(Question.id.desc()), per_page=30, error_out=False
    )
    sectors = db.session.scalars(select(Sector).order_by(Sector.sort_order)).all()
    return render_template(
        "questions/index.html",
        page=page,
        tree=topic_tree(),
        sectors=sectors,
        kinds=KIND_LABELS,
        difficulties=DIFFICULTY_LABELS,
    )


def _form(question: Question | None) -> QuestionForm:
    form = QuestionForm()
    form.topics.choices = options((t.id, "　" * depth + t.name) for t, depth in topic_tree())
    form.sectors.choices = options(
        (s.id, s.display_name(select_locale()))
        for s in db.session.scalars(select(Sector).order_by(Sector.sort_order))
    )
    if question is not None and not form.is_submitted():
        v = question.current
        form.kind.data, form.stem.data, form.options.data = v.kind, v.stem, "\n".join(v.options)
        form.answer.data = kinds.get(v.kind).format_answer(v.answer)
        form.explanation.data, form.legal_source.data = v.explanation, v.legal_source
        form.difficulty.data, form.usage.data, form.roles.data = (
            v.difficulty,
            question.usage,
            v.roles,
        )
        form.topics.data = [t.id for t in question.topics]
        form.sectors.data = [s.id for s in question.sectors]
    elif question is None and not form.is_submitted() and (topic := int_arg("topic")):
        form.topics.data = [topic]
    return form


def _data_from(form: QuestionForm) -> tuple[QuestionData | None, list[Problem]]:
    kind = kinds.get(form.kind.data)
    option_lines = tuple(
        line.strip() for line in (form.options.data or "").splitlines() if line.strip()
    )
    try:
        answer = kind.parse_answer(form.answer.data)
    except ValueError:
        form.answer.errors.append(_("This answer cannot be read for this kind of question."))
        return None, []
    data = QuestionData(
        kind=kind.code,
        stem=form.stem.data,
        options=option_lines,
        answer=answer,
        explanation=form.explanation.data or "",
        difficulty=form.difficulty.data,
        legal_source=form.legal_source.data or "",
        roles=tuple(form.roles.data or ()),
        usage=form.usage.data,
    )
    return data, kinds.validate(services.clean(data))


@roles_required(*MANAGERS)
def edit(question_id: int | None):
    question = get_question_or_404(question_id) if question_id else None
    form = _form(question)
    if form.validate_on_submit():
        data, problems = _data_from(form)
        for problem in problems:
            form.stem.errors.append(problem_message(problem))
        if data is not None and not problems:
            topics = db.session.scalars(
                select(Topic).where(Topic.id.in_(form.topics.data or []))
            ).all()
            sectors = db.session.scalars(
                select(Sector).where(Sector.id.in_(form.sectors.data or []))
            ).all()
            if question is None:
                question = services.create_question(data, list(topics), list(sectors), current_user)
            else:
                services.update_question(question, data, list(topics), list(sectors), current_user)
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("questions.detail", question_id=question.id))
    return render_template("questions/form.html", form=form, question=question)


@roles_required(*MANAGERS)
def detail(question_id: int):
    question = get_question_or_404(question_id)
    return render_template(
        "questions/detail.html",
        question=question,
        actions=services.allowed_actions(question, current_user),
        action_labels=ACTION_LABELS,
        letters=LETTERS,
        review=services.review_required(),
    )


@roles_required(*MANAGERS)
def preview(question_id: int):
    """The question exactly as a candidate sees it (no answer)."""
    question = get_question_or_404(question_id)
    version = question.current
    if (number := int_arg("version")) is not None:
        version = next((v for v in question.versions if v.number == number), None) or abort(404)
    return render_template(
        "questions/preview.html", question=question, version=version, letters=LETTERS
    )


@roles_required(*MANAGERS)
def act(question_id: int, action: str):
    from exam.accounts.forms import ActionForm

    question = get_question_or_404(question_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        services.transition(
            question,
            action,
            current_user,
            utcnow(),
            version=parse_id(request.form.get("version", "")),
        )
    except services.TransitionError as exc:
        flash(exc.message, "warning")
        return redirect(url_for("questions.detail", question_id=question.id))
    db.session.commit()
    flash(_("Done: %(status)s.", status=question.status_label), "success")
    return redirect(url_for("questions.detail", question_id=question.id))


@roles_required(*MANAGERS)
def bulk():
    """Take one lifecycle step on several questions at once (those it applies to)."""
    from exam.accounts.forms import ActionForm

    if not ActionForm().validate_on_submit():
        abort(400)
    action = request.form.get("action", "")
    # Each box carries the version shown in the list: "id:version".
    shown = {}
    for value in request.form.getlist("ids")[:500]:
        question_id, _sep, version = value.partition(":")
        if (qid := parse_id(question_id)) is not None:
            shown[qid] = parse_id(version)
    done = skipped = 0
    for question in db.session.scalars(select(Question).where(Question.id.in_(list(shown)))):
        try:
            services.transition(
                question, action, current_user, utcnow(), version=shown[question.id]
            )
            done += 1
        except services.TransitionError:
            skipped += 1
    db.session.commit()
    flash(
        _(
            "%(done)s questions done, %(skipped)s skipped (not possible for them or not yours "
            "to approve).",
            done=done,
            skipped=skipped,
        ),
        "success" if done else "warning",
    )
    return redirect(
        request.referrer
        if (request.referrer or "").startswith(request.host_url)
        else url_for("questions.index")
    )


@roles_required(*MANAGERS)
def counts():
    tree = topic_tree()
    per_topic = services.counts()
    # A topic's row counts its own questions and those of the topics below it.
    totals = {}
    for topic, _depth in tree:
        ids = topic.subtree_ids()
        totals[topic.id] = {
            (k, d): sum(per_topic.get((i, k, d), 0) for i in ids)
            for k in kinds.KINDS
            for d in DIFFICULTY_LABELS
        }
    return render_template(
        "questions/counts.html",
        tree=tree,
        totals=totals,
        kinds=KIND_LABELS,
        difficulties=DIFFICULTY_LABELS,
    )


@roles_required(*MANAGERS)
def topics():
    return render_template(
        "questions/topics.html",
        tree=topic_tree(),
        levels=TopicLevel.LABELS,
        child_level=TopicLevel.CHILD,
    )


@roles_required(UserRole.ADMIN)
def edit_topic(topic_id: int | None, parent_id: int | None = None):
    topic = db.session.get(Topic, topic_id) if topic_id else None
    parent = db.session.get(Topic, parent_id) if parent_id else None
    if (topic_id and topic is None) or (
        parent_id and (parent is None or parent.level not in TopicLevel.CHILD)
    ):
        abort(404)
    form = TopicForm(obj=topic)
    if form.validate_on_submit():
        code = form.code.data.strip().upper()
        clash = db.session.scalar(
            select(Topic).where(Topic.code == code, Topic.id != (topic.id if topic else -1))
        )
        if clash is not None:
            form.code.errors.append(_("This code is already used by “%(name)s”.", name=clash.name))
        else:
            values = {
                "name": form.name.data.strip(),
                "code": code,
                "sort_order": form.sort_order.data or 0,
            }
            if topic is None:
                topic = Topic(parent=parent, level=TopicLevel.CHILD[parent.level], **values)
                db.session.add(topic)
                record("topic.create", topic, topic.path)
            elif changes := apply_changes(topic, values):
                record("topic.update", topic, topic.path, changes)
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("questions.topics"))
    return render_template("questions/topic_form.html", form=form, topic=topic, parent=parent)

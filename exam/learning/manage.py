"""Organisers' pages for online learning: courses, their lessons and uploads, publishing, and
the figures on who studies (``stats``), with an .xlsx export.

Courses are loaded through ``get_course_or_404``: administrators and organisers without limits
manage every course; an organiser limited to some sectors or towns/streets manages the courses
assigned only within those (as with exams), and the figures count only the people they may see.
"""

from __future__ import annotations

from flask import (
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import func, select

from exam.accounts.forms import ActionForm
from exam.audit.services import record
from exam.auth.access import MANAGERS, roles_required
from exam.core.errors import render_error
from exam.core.extensions import db
from exam.core.forms import options
from exam.core.i18n import select_locale
from exam.core.timeutil import local_today, utcnow
from exam.core.web import CONTENT_SECURITY_POLICY
from exam.learning.access import can_manage, get_course_or_404, get_lesson_or_404, managed_courses
from exam.learning.errors import LearningError
from exam.learning.forms import CourseForm, LessonForm, editable_text, lesson_html
from exam.learning.models import Course, Lesson, LessonKind, StudyProgress
from exam.people.access import visible_enterprises, visible_people
from exam.people.models import Enterprise, Person, PersonRole, Sector, Town
from exam.people.naming import name_people, naming_errors
from exam.questions.models import Topic


def _check_action() -> None:
    if not ActionForm().validate_on_submit():
        abort(400)


def lesson_html_filter(body: str | None) -> Markup:
    """A text lesson's page for a template: ``{{ lesson.body|lesson_html }}`` (sanitised again,
    with the headings, tables and quotations that the question-text filter ``rich`` drops)."""
    return Markup(lesson_html(body or ""))  # noqa: S704 - sanitised by nh3


def lesson_upload_limit(endpoint: str | None, values: dict | None) -> None:
    """Lesson files may be far larger than other uploads (the app-wide limit is set for those).
    Raised before any before_request function reads the form (the CSRF check does), and only
    for organisers, so nobody else can make the server take in hundreds of megabytes."""
    if (
        endpoint == "manage_learning.lesson"
        and current_user.is_authenticated
        and current_user.role in MANAGERS
    ):
        request.max_content_length = current_app.config["LESSON_MAX_MB"] * 1024 * 1024 + 1024 * 1024


def too_large(error):
    """An upload past the lesson limit (the request was refused before the view ran)."""
    return render_error(
        413,
        _(
            "The file is larger than the %(mb)s MB allowed for a lesson.",
            mb=current_app.config["LESSON_MAX_MB"],
        ),
    )


# --- courses ----------------------------------------------------------------------------------


@roles_required(*MANAGERS)
def index():
    courses = managed_courses()
    return render_template("learning/manage_index.html", courses=courses, today=local_today())


def _course_form(course: Course | None) -> CourseForm:
    form = CourseForm()
    locale = select_locale()
    sectors = options(
        (s.id, s.display_name(locale))
        for s in db.session.scalars(select(Sector).order_by(Sector.sort_order))
    )
    form.sector_ids.choices = form.assign_sector_ids.choices = sectors
    form.town_ids.choices = options(
        (t.id, t.name) for t in db.session.scalars(select(Town).order_by(Town.sort_order))
    )
    form.topic_ids.choices = options(
        (t.id, t.path) for t in db.session.scalars(select(Topic).order_by(Topic.code))
    )
    form.enterprise_ids.choices = options(
        (e.id, e.name)
        for e in db.session.scalars(visible_enterprises(current_user).order_by(Enterprise.name))
    )
    if course is not None and not form.is_submitted():
        form.title.data, form.description.data, form.due_on.data = (
            course.title,
            course.description,
            course.due_on,
        )
        form.topic_ids.data = [t.id for t in course.topics]
        form.sector_ids.data = [s.id for s in course.sectors]
        rules = course.assignment or {}
        form.roles.data, form.assign_sector_ids.data = (
            rules.get("roles", []),
            rules.get("sector_ids", []),
        )
        form.town_ids.data, form.enterprise_ids.data = (
            rules.get("town_ids", []),
            rules.get("enterprise_ids", []),
        )
        people = db.session.scalars(
            visible_people(current_user).where(Person.id.in_(rules.get("person_ids") or []))
        ).all()
        form.person_logins.data = "\n".join(f"{p.id_number} {p.name}" for p in people)
    return form


@roles_required(*MANAGERS)
def edit(course_id: int | None):
    course = get_course_or_404(course_id) if course_id else None
    form = _course_form(course)
    if form.validate_on_submit():
        named = name_people(form.person_logins.data, visible_people(current_user), names=True)
        person_ids = [p.id for p in named.people]
        rules = {
            "roles": form.roles.data or [],
            "sector_ids": form.assign_sector_ids.data or [],
            "town_ids": form.town_ids.data or [],
            "enterprise_ids": form.enterprise_ids.data or [],
        }
        if not named.complete:
            form.person_logins.errors.extend(naming_errors(named))
        elif not can_manage(current_user, Course(assignment=rules)):
            form.assign_sector_ids.errors.append(
                _("Choose only sectors and towns/streets within your scope.")
            )
        else:
            # Named people this organiser may not see stay assigned (they cannot be shown here).
            before = ((course.assignment if course else None) or {}).get("person_ids") or []
            visible = set(
                db.session.scalars(
                    visible_people(current_user)
                    .with_only_columns(Person.id)
                    .where(Person.id.in_(before))
                )
            )
            fresh = course is None
            if fresh:
                course = Course(created_by_id=current_user.id)
                db.session.add(course)
            course.assignment = {
                **rules,
                "person_ids": [pid for pid in before if pid not in visible] + person_ids,
            }
            course.title, course.due_on = form.title.data, form.due_on.data
            course.description = (form.description.data or "").strip()
            course.topics = db.session.scalars(
                select(Topic).where(Topic.id.in_(form.topic_ids.data or []))
            ).all()
            course.sectors = db.session.scalars(
                select(Sector).where(Sector.id.in_(form.sector_ids.data or []))
            ).all()
            record("course.create" if fresh else "course.update", course, course.title)
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("manage_learning.course", course_id=course.id))
    return render_template("learning/course_form.html", form=form, course=course)


@roles_required(*MANAGERS)
def course(course_id: int):
    course = get_course_or_404(course_id)
    learners = dict(
        db.session.execute(
            select(StudyProgress.lesson_id, func.count(StudyProgress.id))
            .where(StudyProgress.lesson_id.in_([lesson.id for lesson in course.lessons]))
            .group_by(StudyProgress.lesson_id)
        ).all()
    )
    rules = course.assignment or {}
    return render_template(
        "learning/manage_course.html",
        course=course,
        learners=learners,
        named=len(rules.get("person_ids") or []),
        roles=[PersonRole.label(role) for role in rules.get("roles") or []],
        LessonKind=LessonKind,
        sectors=_names(Sector, rules.get("sector_ids")),
        towns=_names(Town, rules.get("town_ids")),
        enterprises=_names(Enterprise, rules.get("enterprise_ids")),
    )


def _names(model, ids) -> list[str]:
    if not ids:
        return []
    rows = db.session.scalars(select(model).where(model.id.in_(ids)))
    return [r.display_name(select_locale()) if isinstance(r, Sector) else r.name for r in rows]


@roles_required(*MANAGERS)
def publish(course_id: int):
    course = get_course_or_404(course_id)
    _check_action()
    if course.published_at is not None:
        course.published_at = None
        record("course.unpublish", course, course.title)
        flash(_("Withdrawn: candidates no longer see the course; their progress is kept."), "info")
    elif not course.lessons:
        flash(_("Add at least one lesson before publishing the course."), "danger")
        return redirect(url_for("manage_learning.course", course_id=course.id))
    else:
        course.published_at = utcnow()
        record("course.publish", course, course.title)
        flash(_("Published: the people it is assigned to see it among their courses."), "success")
    db.session.commit()
    return redirect(url_for("manage_learning.course", course_id=course.id))


# --- lessons ----------------------------------------------------------------------------------


def _lesson_problem(form: LessonForm, lesson: Lesson | None, upload) -> str | None:
    """What keeps the lesson from being saved (the file itself is checked when stored)."""
    kind = form.kind.data
    if kind == LessonKind.TEXT and not lesson_html(form.body.data):
        form.body.errors.append(_("Write the text of the page."))
        return "body"
    if (
        kind != LessonKind.TEXT
        and not upload
        and not (lesson and lesson.file and lesson.kind == kind)
    ):
        form.file.errors.append(_("Choose the file to upload."))
        return "file"
    return None


@roles_required(*MANAGERS)
def lesson(course_id: int, lesson_id: int | None):
    course = get_course_or_404(course_id)
    lesson = get_lesson_or_404(course, lesson_id) if lesson_id else None
    form = LessonForm()
    if not form.is_submitted():
        if lesson is not None:
            form.title.data, form.kind.data, form.minutes.data = (
                lesson.title,
                lesson.kind,
                lesson.minutes,
            )
            form.body.data = editable_text(lesson.body)
        elif request.args.get("kind") in LessonKind.LABELS:
            form.kind.data = request.args["kind"]
    if form.validate_on_submit():
        upload = form.file.data if form.kind.data != LessonKind.TEXT and form.file.data else None
        if _lesson_problem(form, lesson, upload) is None:
            try:
                stored = None
                if upload:
                    from exam.learning.storage import store_upload

                    stored = store_upload(
                        upload.stream, upload.filename or "", form.kind.data, current_user
                    )
            except LearningError as error:
                db.session.rollback()
                form.file.errors.append(error.message)
            else:
                lesson = _save_lesson(course, lesson, form, stored)
                db.session.commit()
                flash(_("Saved."), "success")
                return redirect(
                    url_for(
                        "manage_learning.course", course_id=course.id, _anchor=f"lesson-{lesson.id}"
                    )
                )
    response = make_response(
        render_template(
            "learning/lesson_form.html",
            form=form,
            course=course,
            lesson=lesson,
            LessonKind=LessonKind,
            max_mb=current_app.config["LESSON_MAX_MB"],
        )
    )
    # The page reads a chosen video's length from the file itself (a blob: address).
    response.headers["Content-Security-Policy"] = (
        CONTENT_SECURITY_POLICY + "; media-src 'self' blob:"
    )
    return response


def _save_lesson(course: Course, lesson: Lesson | None, form: LessonForm, stored) -> Lesson:
    fresh = lesson is None
    if fresh:
        lesson = Lesson(
            course=course, position=1 + max((item.position for item in course.lessons), default=-1)
        )
        db.session.add(lesson)
    lesson.title, lesson.kind, lesson.minutes = form.title.data, form.kind.data, form.minutes.data
    if lesson.kind == LessonKind.TEXT:
        lesson.body, lesson.file = lesson_html(form.body.data), None
    else:
        lesson.body = ""
        if stored is not None:
            lesson.file = stored
    record("lesson.create" if fresh else "lesson.update", lesson, f"{course.title}: {lesson.title}")
    return lesson


@roles_required(*MANAGERS)
def move(course_id: int, lesson_id: int):
    """Move a lesson one place up or down (positions are renumbered 0, 1, 2…)."""
    course = get_course_or_404(course_id)
    lesson = get_lesson_or_404(course, lesson_id)
    _check_action()
    order = list(course.lessons)
    index = order.index(lesson)
    other = index - 1 if request.form.get("direction") == "up" else index + 1
    if 0 <= other < len(order):
        order[index], order[other] = order[other], order[index]
    for position, item in enumerate(order):
        item.position = position
    db.session.commit()
    return redirect(
        url_for("manage_learning.course", course_id=course.id, _anchor=f"lesson-{lesson.id}")
    )


@roles_required(*MANAGERS)
def delete(course_id: int, lesson_id: int):
    """Remove a lesson (its progress goes with it; hours already credited stay on the ledger)."""
    course = get_course_or_404(course_id)
    lesson = get_lesson_or_404(course, lesson_id)
    _check_action()
    record("lesson.delete", lesson, f"{course.title}: {lesson.title}")
    course.lessons.remove(lesson)
    for position, item in enumerate(course.lessons):
        item.position = position
    db.session.commit()
    flash(_("The lesson was removed."), "info")
    return redirect(url_for("manage_learning.course", course_id=course.id))

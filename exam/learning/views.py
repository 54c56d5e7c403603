"""The candidate's side of online learning: my courses, lessons, heartbeats, lesson files.

Every lesson and file is loaded through ``get_lesson_or_404``: a candidate reaches only the
lessons of published courses assigned to them; staff may open any lesson to preview it.
"""

from __future__ import annotations

import math

from flask import abort, current_app, jsonify, render_template, request, send_file
from flask_login import current_user, login_required

from exam.auth.access import MANAGERS, roles_required
from exam.auth.models import UserRole
from exam.core.errors import api_error
from exam.core.extensions import db
from exam.core.timeutil import local_today, utcnow
from exam.learning import services
from exam.learning.models import Course, Lesson, LessonKind


def _person():
    return current_user.person if current_user.role == UserRole.CANDIDATE else None


def get_course_or_404(course_id: int) -> Course:
    course = db.session.get(Course, course_id)
    if course is None or not (
        current_user.role in MANAGERS or services.is_assigned(course, _person())
    ):
        abort(404)
    return course


def get_lesson_or_404(lesson_id: int) -> Lesson:
    lesson = db.session.get(Lesson, lesson_id)
    if lesson is None:
        abort(404)
    get_course_or_404(lesson.course_id)
    return lesson


@roles_required(UserRole.CANDIDATE)
def mine():
    """My courses with progress and due dates, and the hours my online study earned."""
    person = _person()
    if person is None:
        return render_template(
            "learning/mine.html", courses=[], progress={}, days=[], hours=0.0, today=local_today()
        )
    courses = services.courses_for(person)
    today = local_today()
    return render_template(
        "learning/mine.html",
        courses=courses,
        progress=services.course_progress(person, courses),
        days=services.study_days(person, today.year),
        hours=services.online_hours([person.id], today.year).get(person.id, 0.0),
        today=today,
    )


@login_required
def course(course_id: int):
    course = get_course_or_404(course_id)
    person = _person()
    progress = (
        services.progress_of(person, [lesson.id for lesson in course.lessons]) if person else {}
    )
    state = services.course_progress(person, [course])[course.id] if person else None
    return render_template(
        "learning/course.html",
        course=course,
        progress=progress,
        state=state,
        LessonKind=LessonKind,
        today=local_today(),
    )


@login_required
def lesson(lesson_id: int):
    lesson = get_lesson_or_404(lesson_id)
    person = _person()
    progress = services.progress_of(person, [lesson.id]).get(lesson.id) if person else None
    lessons = lesson.course.lessons
    index = lessons.index(lesson)
    following = lessons[index + 1] if index + 1 < len(lessons) else None
    return render_template(
        "learning/lesson.html",
        lesson=lesson,
        progress=progress,
        following=following,
        LessonKind=LessonKind,
        tracked=person is not None,
        complete_percent=current_app.config["LESSON_COMPLETE_PERCENT"],
    )


@roles_required(UserRole.CANDIDATE)
def beat(lesson_id: int):
    """A heartbeat from a lesson page: ``{"active": bool, "position": number | null}``, and
    ``"start": true`` on the first one after the page loaded."""
    body = request.get_json(silent=True)
    person = _person()
    lesson = db.session.get(Lesson, lesson_id)
    try:
        if (
            not isinstance(body, dict)
            or not isinstance(body.get("active"), bool)
            or not _is_position(body.get("position"))
            or not isinstance(body.get("start", False), bool)
        ):
            raise services.LearningError("bad_request")
        if lesson is None or person is None:
            raise services.LearningError("not_assigned")
        result = services.beat(
            person,
            lesson,
            utcnow(),
            active=body["active"],
            position=None if body.get("position") is None else float(body["position"]),
            start=body.get("start", False),
        )
    except services.LearningError as error:
        db.session.rollback()
        return api_error(error)
    db.session.commit()
    return jsonify(
        credited=result.credited,
        seconds=result.seconds,
        required=lesson.required_seconds,
        completed=result.completed,
        seek_to=result.seek_to,
    )


def _is_position(value) -> bool:
    """None, or a finite number (JSON may carry 1e400, which Python reads as a huge int)."""
    if value is None:
        return True
    if not isinstance(value, int | float) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:
        return False


@login_required
def lesson_file(lesson_id: int):
    """The lesson's PDF or video; answers Range requests (206) so a phone can seek a video."""
    from exam.learning.storage import file_path, storage_root

    lesson = get_lesson_or_404(lesson_id)
    if lesson.file is None:
        abort(404)
    path = file_path(lesson.file)
    if not path.is_file():
        abort(404)
    extension = path.suffix  # from the checked type, never from the name it was uploaded with
    prefix = current_app.config["LEARNING_ACCEL_PREFIX"]
    if prefix:
        # nginx sends the file (ranges included): a phone streaming a video for minutes then
        # holds no web worker, which exams need.
        response = current_app.response_class(mimetype=lesson.file.content_type)
        relative = path.relative_to(storage_root()).as_posix()
        response.headers["X-Accel-Redirect"] = prefix.rstrip("/") + "/" + relative
    else:
        response = send_file(
            path,
            mimetype=lesson.file.content_type,
            conditional=True,
            etag=lesson.file.sha256,
            download_name=f"{lesson.title}{extension}",
            max_age=3600,
        )
    response.headers["Cache-Control"] = "private, max-age=3600"
    response.headers["Content-Security-Policy"] = "default-src 'none'"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def lesson_page(lesson_id: int, page: int):
    """One page of a PDF lesson as a picture (phones that show no PDF inline show these)."""
    from exam.learning.storage import file_path, page_image

    lesson = get_lesson_or_404(lesson_id)
    if (
        lesson.file is None
        or not 1 <= page <= lesson.file.pages
        or not file_path(lesson.file).is_file()
    ):
        abort(404)
    path = page_image(lesson.file, page)
    response = send_file(path, mimetype="image/png", conditional=True, max_age=3600)
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response

"""Who may manage a course, and the loaders of what managers work on."""

from __future__ import annotations

from flask import abort
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from exam.auth.models import User
from exam.core.extensions import db
from exam.learning.models import Course, Lesson
from exam.people.scope import scope_of


def can_manage(user: User, course: Course) -> bool:
    """Whether ``user`` manages the course: it is assigned only within their scope."""
    return scope_of(user).covers_rules(course.assignment)


def get_course_or_404(course_id: int) -> Course:
    course = db.session.get(Course, course_id)
    if course is None or not can_manage(current_user, course):
        abort(404)
    return course


def get_lesson_or_404(course: Course, lesson_id: int) -> Lesson:
    lesson = db.session.get(Lesson, lesson_id)
    if lesson is None or lesson.course_id != course.id:
        abort(404)
    return lesson


def managed_courses() -> list[Course]:
    courses = db.session.scalars(
        select(Course)
        .options(selectinload(Course.lessons))
        .order_by(Course.published_at.is_(None), Course.due_on.is_(None), Course.due_on, Course.id)
    )
    return [c for c in courses if can_manage(current_user, c)]

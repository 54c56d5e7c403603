"""Organisers' figures on online study (per course and across courses) and their .xlsx export."""

from __future__ import annotations

from flask import current_app, render_template
from flask_login import current_user

from exam.auth.access import MANAGERS, roles_required
from exam.core.i18n import select_locale
from exam.core.timeutil import local_today, to_form_time
from exam.core.uploads import download
from exam.learning import stats as figures
from exam.learning.access import get_course_or_404, managed_courses
from exam.people.models import PersonRole
from question_bank.spreadsheets import DECIMAL, PERCENT, Table, write_xlsx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@roles_required(*MANAGERS)
def stats_all():
    """Completion and study time across the courses the user manages."""
    courses = managed_courses()
    report = figures.report(courses, current_user, local_today(), locale=select_locale())
    return render_template(
        "learning/stats.html", course=None, courses=courses, report=report, today=local_today()
    )


@roles_required(*MANAGERS)
def stats(course_id: int):
    course = get_course_or_404(course_id)
    report = figures.report([course], current_user, local_today(), locale=select_locale())
    return render_template(
        "learning/stats.html", course=course, courses=[course], report=report, today=local_today()
    )


@roles_required(*MANAGERS)
def export(course_id: int | None):
    """The figures and every assignment with its progress, one sheet each."""
    courses = [get_course_or_404(course_id)] if course_id else managed_courses()
    today = local_today()
    report = figures.report(courses, current_user, today, waiting_limit=None)
    captions = [
        f"{current_app.config['BUREAU_NAME']} 在线学习情况统计",
        f"{courses[0].title if course_id else '全部课程'} · 截至 {today.isoformat()}",
    ]
    tables = [
        _figures_table("按课程", "课程", report.by_course, captions),
        _figures_table("按企业", "企业", report.by_enterprise, captions),
        _figures_table("按行业", "行业", report.by_sector, captions),
        _figures_table("按岗位", "岗位", report.by_role, captions),
        _people_table(figures.people(courses, current_user, today), captions),
    ]
    name = courses[0].title if course_id else "全部课程"
    return download(write_xlsx(tables), f"安培-在线学习-{name}-{today.isoformat()}.xlsx", XLSX)


def _figures_table(
    title: str, what: str, rows: list[figures.Figures], captions: list[str]
) -> Table:
    body = [
        [
            f.label,
            f.assigned,
            f.started,
            f.not_started,
            f.completed,
            f.completion,
            f.overdue,
            f.hours,
        ]
        for f in rows
    ]
    if rows and title == "按岗位":
        body = [
            [PersonRole.CHINESE.get(f.key, f.key), *line[1:]]
            for f, line in zip(rows, body, strict=True)
        ]
    return Table(
        title,
        [
            what,
            "应学人数",
            "已开始",
            "未开始",
            "已完成",
            "完成率",
            "逾期未完成",
            "学习时长（小时）",
        ],
        body,
        [32, 10, 10, 10, 10, 10, 12, 16],
        captions=captions,
        number_formats={5: PERCENT, 7: DECIMAL},
    )


def _people_table(rows: list[figures.PersonRow], captions: list[str]) -> Table:
    def status(row: figures.PersonRow) -> str:
        if row.lessons and row.lessons_done >= row.lessons:
            return "已完成"
        if row.last_studied is None:
            return "逾期未开始" if row.overdue else "未开始"
        return "逾期未完成" if row.overdue else "学习中"

    body = [
        [
            r.course_title,
            r.name,
            r.id_number,
            PersonRole.CHINESE.get(r.role, r.role),
            r.enterprise,
            f"{r.lessons_done}/{r.lessons}",
            round(r.seconds / 60, 1),
            to_form_time(r.last_studied) if r.last_studied else None,
            status(r),
        ]
        for r in rows
    ]
    return Table(
        "人员明细",
        ["课程", "姓名", "身份证号", "岗位", "企业", "已完成课时", "学习分钟", "最近学习", "状态"],
        body,
        [28, 10, 22, 16, 32, 12, 10, 18, 12],
        captions=captions,
        text_columns=[2],
        number_formats={6: DECIMAL},
    )

"""The reports blueprint: the dashboard, pass rates and the 100% tracker.

Topic weaknesses and item analysis (``analysis``) and the files per enterprise and person
(``files``) add their routes to the same blueprint.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from exam.accounts.forms import ActionForm
from exam.auth.access import MANAGERS, roles_required
from exam.auth.models import UserRole
from exam.core.extensions import db
from exam.core.i18n import select_locale
from exam.core.pagecache import kept_while
from exam.core.timeutil import local_today, utcnow
from exam.core.uploads import download
from exam.core.web import int_arg, parse_id
from exam.exams.examday import sitting_now
from exam.exams.models import Exam
from exam.exams.standing import LABELS as STANDING_LABELS
from exam.people.access import visible_enterprises, visible_people
from exam.people.directors import headcount
from exam.people.models import Enterprise, Person, PersonRole, Sector, Town
from exam.reports.queries import directors, figures, tracker, training
from exam.reports.queries.campaigns import campaign_figures, campaigns_of_year
from exam.reports.queries.obligations import overdue_initial
from exam.reports.queries.rates import total
from exam.reports.render import coverage, exports
from exam.reports.render.campaigns import campaign_sentence
from exam.reports.render.exports import GROUP_LABELS
from exam.training.models import Mode

#: Who may read reports: the bureau (all of the district) and organisers (within their scope).

#: The tracker's statuses as they read (their one home is ``exam.exams.standing.LABELS``),
#: and its tab of everyone not yet passed.
STATUS_LABELS = {**STANDING_LABELS, tracker.NOT_PASSED: _l("Not yet passed")}
#: Titles holding a percent sign: given to the templates ready-made, since Jinja's gettext
#: treats "%" as a placeholder.
TRACKER_TITLE = _l("The 100% tracker")
TARGET_TITLE = _l("The 100% target")
STATUS_COLOURS = {
    "not_scheduled": "secondary",
    "scheduled": "info",
    "failed": "danger",
    "makeup_pending": "warning",
    "back_to_training": "danger",
    "expiring": "warning",
    "passed": "success",
}


def _year() -> int:
    year = int_arg("year", local_today().year) or local_today().year
    return year if 2000 <= year <= 2100 else local_today().year


def _date_arg(name: str, default: date) -> date:
    text = request.args.get(name, "")
    if not text:
        return default
    try:
        value = date.fromisoformat(text)
    except ValueError:
        flash(
            _(
                "“%(text)s” is not a date; the report uses %(default)s.",
                text=text[:20],
                default=default,
            ),
            "warning",
        )
        return default
    return value if 2000 <= value.year <= 2100 else default


def _today() -> date:
    return local_today()


# --- the dashboard -------------------------------------------------------------------------


def _rate_chart(rows, title: str) -> str:
    """Final pass rates as an inline SVG bar chart."""
    from exam.reports.render.charts import bar_chart, to_svg

    if not rows:
        return ""
    return to_svg(
        bar_chart(
            [r.label for r in rows], [r.final_rate for r in rows], title=title, unit="%", width=520
        ),
        title=title,
    )


def _campaign_sentences(year: int) -> list[tuple[int, str]]:
    """(campaign id, its sentence in the bureau's words) for each campaign of the year, read
    within the user's scope."""
    now = utcnow()
    return [
        (c.id, campaign_sentence(campaign_figures(current_user, c, now)))
        for c in campaigns_of_year(year)
    ]


@roles_required(*MANAGERS)
@kept_while(sitting_now)
def dashboard():
    """The year at a glance, each figure a link to the list behind it."""
    year = _year()
    board = figures.dashboard(current_user, year, utcnow())
    chart = _rate_chart(board.by_sector, _("Final pass rate by sector"))
    return render_template(
        "reports/dashboard.html",
        campaigns=_campaign_sentences(year),
        board=board,
        year=year,
        chart=chart,
        tracker_title=TRACKER_TITLE,
        target_title=TARGET_TITLE,
        period={"from": date(year, 1, 1).isoformat(), "to": date(year, 12, 31).isoformat()},
    )


def _dashboard_title(year: int) -> str:
    return _("Special exams and training in %(year)s", year=year)


@roles_required(*MANAGERS)
def dashboard_export(fmt: str):
    year = _year()
    board = figures.dashboard(current_user, year, utcnow())
    name = f"{year}年考试和培训情况-{_today().isoformat()}"
    if fmt == "xlsx":
        return download(exports.dashboard_xlsx(board, _today()), f"{name}.xlsx", exports.XLSX)
    return download(
        exports.dashboard_pdf(board, _dashboard_title(year)), f"{name}.pdf", "application/pdf"
    )


@roles_required(UserRole.ADMIN)
def summary():
    """The one-page report to the district people's congress: the whole district's figures, so
    the bureau's (an organiser's scope is a part of the district)."""
    from exam.reports.render.summary import Summary, summary_pdf

    year = _year()
    board = figures.dashboard(current_user, year, utcnow())
    exams = board.exams
    data = Summary(
        date_from=date(year, 1, 1),
        date_to=min(date(year, 12, 31), max(date(year, 1, 1), _today())),
        exams_held=board.exams_held,
        candidates=exams.candidates,
        first_pass_rate=exams.first_rate,
        final_pass_rate=exams.final_rate,
        not_passed=board.not_passed,
        certificates_valid=board.certificates_valid,
        certificates_expiring=board.certificates_expiring,
        training_sessions=board.training_sessions,
        training_person_times=board.training_person_times,
        screenings=board.screenings,
        screening_person_times=board.screening_person_times,
        onsite_hours=board.hours_onsite,
        online_hours=board.hours_online,
        sector_rates=tuple((r.label, r.final_rate) for r in board.by_sector),
        no_shows=exams.no_shows,
        cancelled=exams.cancelled,
        not_passed_expected=board.not_passed_expected,
        makeup_open=board.makeup_open,
        campaigns=tuple(sentence for _campaign, sentence in _campaign_sentences(year)),
        training_by_sector=tuple(
            (r.label, r.sessions, r.person_times) for r in board.training_by_sector
        ),
        directors_required=board.directors.required,
        directors_appointed=board.directors.appointed,
    )
    return download(
        summary_pdf(data), f"{year}年安全生产专题考试和培训情况报告.pdf", "application/pdf"
    )


# --- pass rates -------------------------------------------------------------------------------


def _period() -> tuple[date, date]:
    """The period of a report from ``from`` and ``to`` (default: this year), in order."""
    today = _today()
    date_from = _date_arg("from", date(today.year, 1, 1))
    date_to = _date_arg("to", date(today.year, 12, 31))
    if date_to < date_from:
        flash(_("The period ends before it starts: the dates were swapped."), "warning")
        date_from, date_to = date_to, date_from
    return date_from, date_to


def _passrate_args() -> dict:
    group_by = request.args.get("group_by", "sector")
    if group_by not in figures.GROUP_BYS:
        group_by = "sector"
    date_from, date_to = _period()
    return {
        "group_by": group_by,
        "date_from": date_from,
        "date_to": date_to,
        "exam_id": parse_id(request.args.get("exam")),
        "sector_id": parse_id(request.args.get("sector")),
    }


def _passrates(args: dict):
    """The groups and their total (for sectors, counted apart: an enterprise in two sectors
    is in both rows, but once in the total)."""
    group_by = args["group_by"]
    if group_by != "sector":
        rows = figures.pass_rates(current_user, **args)
        return rows, total(rows)
    found = figures.pass_rates_by(
        current_user, ("sector", "all"), **{k: v for k, v in args.items() if k != "group_by"}
    )
    return found["sector"], found["all"][0] if found["all"] else total([])


def _filter_lines(args: dict) -> list[str]:
    lines = [
        _(
            "Period: %(start)s to %(end)s",
            start=args["date_from"].isoformat(),
            end=args["date_to"].isoformat(),
        )
    ]
    if args.get("exam_id"):
        title = db.session.scalar(select(Exam.title).where(Exam.id == args["exam_id"]))
        lines.append(_("Exam: %(title)s", title=title or "—"))
    if args.get("sector_id"):
        sector = db.session.get(Sector, args["sector_id"])
        lines.append(_("Sector: %(name)s", name=sector.name if sector else "—"))
    return lines


def drill_down(group_by: str, key, args: dict) -> str | None:
    """Where a group's row leads: the tracker of its people, or the exam's enterprises."""
    if key is None:
        return None
    if group_by == "exam":
        return url_for(
            "reports.pass_rates",
            group_by="enterprise",
            exam=key,
            **{"from": args["date_from"].isoformat(), "to": args["date_to"].isoformat()},
        )
    if group_by == "month":
        return url_for(
            "reports.pass_rates", group_by="exam", **{"from": f"{key}-01", "to": _month_end(key)}
        )
    target = {"sector": "sector", "role": "role", "enterprise": "enterprise", "town": "town"}[
        group_by
    ]
    return url_for("reports.tracker_page", status=tracker.NOT_PASSED, **{target: key})


def _month_end(month: str) -> str:
    year, number = (int(p) for p in month.split("-"))
    following = date(year + number // 12, number % 12 + 1, 1)
    return date.fromordinal(following.toordinal() - 1).isoformat()


@roles_required(*MANAGERS)
@kept_while(sitting_now)
def pass_rates():
    """Pass rates grouped by exam, sector, post, enterprise, town or month."""
    args = _passrate_args()
    rows, overall = _passrates(args)
    exams = db.session.execute(
        select(Exam.id, Exam.title)
        .where(Exam.makeup_of_id.is_(None), Exam.is_published)
        .order_by(Exam.opens_at.desc())
        .limit(300)
    ).all()
    sectors = db.session.scalars(select(Sector).order_by(Sector.sort_order)).all()
    return render_template(
        "reports/passrates.html",
        rows=rows,
        overall=overall,
        args=args,
        exams=exams,
        sectors=sectors,
        group_labels=GROUP_LABELS,
        base_note=exports.BASE_NOTE,
        drill_down=drill_down,
        chart=_rate_chart(
            rows, _("Final pass rate by %(group)s", group=GROUP_LABELS[args["group_by"]])
        )
        if len(rows) <= 40
        else "",
        query=request.args.to_dict(),
    )


@roles_required(*MANAGERS)
def pass_rates_export(fmt: str):
    args = _passrate_args()
    rows, overall = _passrates(args)
    lines = _filter_lines(args)
    name = f"通过率-按{exports.GROUP_CHINESE[args['group_by']]}-{_today().isoformat()}"
    if fmt == "xlsx":
        return download(
            exports.passrates_xlsx(rows, overall, args["group_by"], lines, _today()),
            f"{name}.xlsx",
            exports.XLSX,
        )
    title = _("Pass rates by %(group)s", group=GROUP_LABELS[args["group_by"]])
    return download(
        exports.passrates_pdf(rows, overall, args["group_by"], lines, title),
        f"{name}.pdf",
        "application/pdf",
    )


# --- the 100% tracker ---------------------------------------------------------------------------


def _tracker_filters(source) -> tracker.Filters:
    """The tracker's filters from the query string (the page) or the form (the action)."""
    status = source.get("status") or None
    role = source.get("role") or None
    return tracker.Filters(
        status=status if status in (*tracker.STATUSES, tracker.NOT_PASSED) else None,
        sector_id=parse_id(source.get("sector")),
        town_id=parse_id(source.get("town")),
        enterprise_id=parse_id(source.get("enterprise")),
        role=role if role in PersonRole.ALL else None,
        q=(source.get("q") or "")[:40],
    )


def _tracker_lines(filters: tracker.Filters) -> list[str]:
    lines = []
    if filters.status:
        lines.append(_("Standing: %(s)s", s=STATUS_LABELS[filters.status]))
    for label, model, key in (
        (_("Sector"), Sector, filters.sector_id),
        (_("Town/street"), Town, filters.town_id),
    ):
        if key:
            found = db.session.get(model, key)
            lines.append(f"{label}：{found.name if found else '—'}")
    if filters.enterprise_id:  # named only if the user may see it
        name = db.session.scalar(
            visible_enterprises(current_user)
            .with_only_columns(Enterprise.name)
            .where(Enterprise.id == filters.enterprise_id)
        )
        lines.append(f"{_('Enterprise')}：{name or '—'}")
    if filters.role:
        lines.append(f"{_('Post')}：{PersonRole.label(filters.role)}")
    return lines


def _targets(now: datetime):
    """Exams and training sessions the user may enrol people in: not closed, not started."""
    from exam.exams.access import can_manage as manages_exam
    from exam.training.access import can_manage as manages_session
    from exam.training.models import TrainingSession

    # Not makeups: naming someone who never sat the original would count them in its final rate only.
    exams = [
        e
        for e in db.session.scalars(
            select(Exam)
            .where(~Exam.has_closed(now), Exam.makeup_of_id.is_(None))
            .order_by(Exam.opens_at)
        )
        if manages_exam(current_user, e)
    ][:50]
    sessions = [
        s
        for s in db.session.scalars(
            select(TrainingSession)
            .where(TrainingSession.starts_at > now, TrainingSession.cancelled_at.is_(None))
            .order_by(TrainingSession.starts_at)
            .limit(50)
        )
        if manages_session(current_user, s)
    ]
    return exams, sessions


@roles_required(*MANAGERS)
@kept_while(sitting_now)
def tracker_page():
    """Every person in a required post with where they stand, by enterprise."""
    filters = _tracker_filters(request.args)
    now = utcnow()
    result = tracker.page(
        current_user,
        status=filters.status,
        sector_id=filters.sector_id,
        town_id=filters.town_id,
        enterprise_id=filters.enterprise_id,
        role=filters.role,
        q=filters.q,
        page=int_arg("page", 1) or 1,
        now=now,
    )
    exams, sessions = _targets(now)
    overdue = overdue_initial(current_user, _today())
    enterprise = (
        db.session.scalar(
            visible_enterprises(current_user).where(Enterprise.id == filters.enterprise_id)
        )
        if filters.enterprise_id
        else None
    )
    return render_template(
        "reports/tracker.html",
        tracker_title=TRACKER_TITLE,
        result=result,
        filters=filters,
        labels=STATUS_LABELS,
        colours=STATUS_COLOURS,
        statuses=tracker.STATUSES,
        not_passed=tracker.NOT_PASSED,
        exams=exams,
        sessions=sessions,
        enterprise=enterprise,
        director_cover=directors.coverage(
            current_user, sector_id=filters.sector_id, town_id=filters.town_id
        ),
        query=request.args.to_dict(),
        form=ActionForm(),
        sectors=db.session.scalars(select(Sector).order_by(Sector.sort_order)).all(),
        towns=db.session.scalars(select(Town).order_by(Town.sort_order, Town.name)).all(),
        roles=PersonRole.ALL,
        overdue=overdue,
    )


@roles_required(*MANAGERS)
def tracker_export(fmt: str):
    filters = _tracker_filters(request.args)
    rows = tracker.all_rows(current_user, filters)
    lines = _tracker_lines(filters)
    name = f"100%跟踪表-{_today().isoformat()}"
    if fmt == "xlsx":
        return download(exports.tracker_xlsx(rows, lines, _today()), f"{name}.xlsx", exports.XLSX)
    return download(
        exports.tracker_pdf(rows, len(rows), lines, str(TRACKER_TITLE), STATUS_LABELS),
        f"{name}.pdf",
        "application/pdf",
    )


def _chosen_people(filters: tracker.Filters, now: datetime) -> list[Person]:
    """The people the enrol action is for: those ticked, or everybody left under the filters."""
    if request.form.get("who") == "all":
        status = (
            filters.status if filters.status not in (None, *tracker.PASSED) else tracker.NOT_PASSED
        )
        left = dataclasses.replace(filters, status=status)
        ids = [
            r.person_id
            for r in tracker.all_rows(current_user, left, now=now, limit=tracker.MAX_ENROL)
        ]
    else:
        ids = [pid for pid in (parse_id(v) for v in request.form.getlist("person")) if pid][
            : tracker.MAX_ENROL
        ]
    if not ids:
        return []
    return list(
        db.session.scalars(
            visible_people(current_user).where(Person.id.in_(ids)).order_by(Person.id)
        )
    )


def _ready_for_an_exam(
    people: list[Person], filters: tracker.Filters, now: datetime
) -> tuple[list[Person], int]:
    """Those of ``people`` who may be put into an exam: not those who failed the makeup (back to
    training first, DOMAIN.md) and, when everybody left is enrolled, not those already booked."""
    rows = tracker.all_rows(
        current_user, dataclasses.replace(filters, status=None), now=now, limit=tracker.MAX_ENROL
    )
    standing = {r.person_id: r.status for r in rows}
    everybody = request.form.get("who") == "all"
    ready = [
        p
        for p in people
        if standing.get(p.id) != "back_to_training"
        and not (everybody and standing.get(p.id) in ("scheduled", "makeup_pending"))
    ]
    skipped = sum(1 for p in people if standing.get(p.id) == "back_to_training")
    return ready, skipped


@roles_required(*MANAGERS)
def tracker_enrol():
    """Enrol the chosen people (or everybody left) in an exam or a training session."""
    from exam.exams.access import can_manage as manages_exam
    from exam.training.access import can_manage as manages_session
    from exam.training.models import TrainingSession

    if not ActionForm().validate_on_submit():
        abort(400)
    now = utcnow()
    back = url_for(
        "reports.tracker_page",
        **{
            k: v
            for k, v in request.form.items()
            if k in ("status", "sector", "town", "enterprise", "role", "q")
        },
    )
    kind, _sep, target = request.form.get("target", "").partition(":")
    target_id = parse_id(target)
    filters = _tracker_filters(request.form)
    people = _chosen_people(filters, now)
    if not people:
        flash(_("Choose the people to enrol."), "warning")
        return redirect(back)
    if kind == "exam" and target_id:
        exam = db.session.get(Exam, target_id)
        if (
            exam is None
            or not manages_exam(current_user, exam)
            or exam.has_closed(now)
            or exam.makeup_of_id
        ):
            abort(404)
        people, skipped = _ready_for_an_exam(people, filters, now)
        added = tracker.enrol_in_exam(exam, [p.id for p in people], current_user) if people else 0
        db.session.commit()
        if skipped:
            flash(
                _(
                    "%(n)s of them failed their makeup exam and go back to training before another exam: "
                    "they were not added.",
                    n=skipped,
                ),
                "warning",
            )
        if added:
            flash(
                _(
                    "%(n)s people added to “%(exam)s”; they see it on their home page.",
                    n=added,
                    exam=exam.title,
                ),
                "success",
            )
        else:
            flash(
                _("“%(exam)s” is already open to them: nobody needed adding.", exam=exam.title),
                "info",
            )
        return redirect(back)
    if kind == "session" and target_id:
        session = db.session.get(TrainingSession, target_id)
        if (
            session is None
            or not manages_session(current_user, session)
            or session.cancelled_at is not None
            or session.starts_at <= now
        ):
            abort(404)
        seats, waiting, refused = tracker.enrol_in_session(session, people, current_user, now)
        db.session.commit()
        flash(
            _(
                "Enrolled in “%(title)s”: %(seats)s with a seat, %(waiting)s on the waiting list, %(refused)s "
                "could not be enrolled.",
                title=session.title,
                seats=seats,
                waiting=waiting,
                refused=refused,
            ),
            "success" if not refused else "warning",
        )
        return redirect(back)
    flash(_("Choose an exam or a training session."), "warning")
    return redirect(back)


# --- training by sector and topic -------------------------------------------------------------


def _training_args() -> dict:
    date_from, date_to = _period()
    return {
        "date_from": date_from,
        "date_to": date_to,
        "sector_id": parse_id(request.args.get("sector")),
    }


def _training(args: dict):
    return training.training_report(
        current_user, now=utcnow(), english=select_locale() == "en", **args
    )


def _training_lines(args: dict) -> list[str]:
    return _filter_lines({**args, "exam_id": None})


@roles_required(*MANAGERS)
@kept_while(sitting_now)
def training_page():
    """Sessions, person-times and person-hours per sector and per topic over a period."""
    args = _training_args()
    return render_template(
        "reports/training.html",
        report=_training(args),
        args=args,
        sectors=db.session.scalars(select(Sector).order_by(Sector.sort_order)).all(),
        modes=Mode.LABELS,
        query=request.args.to_dict(),
    )


@roles_required(*MANAGERS)
def training_export(fmt: str):
    args = _training_args()
    report = _training(args)
    lines = _training_lines(args)
    name = f"{coverage.training_title(report)}-{_today().isoformat()}"
    if fmt == "xlsx":
        return download(
            coverage.training_xlsx(report, lines, _today()), f"{name}.xlsx", exports.XLSX
        )
    title = _("Training by sector and topic")
    return download(
        coverage.training_pdf(report, lines, title, Mode.LABELS), f"{name}.pdf", "application/pdf"
    )


# --- safety directors --------------------------------------------------------------------------


def _director_args() -> dict:
    return {
        "sector_id": parse_id(request.args.get("sector")),
        "town_id": parse_id(request.args.get("town")),
    }


@roles_required(*MANAGERS)
@kept_while(sitting_now)
def safety_directors():
    """Enterprises that must have a safety director and have none."""
    args = _director_args()
    return render_template(
        "reports/directors.html",
        cover=directors.coverage(current_user, **args),
        rows=directors.missing(current_user, **args),
        args=args,
        sectors=db.session.scalars(select(Sector).order_by(Sector.sort_order)).all(),
        towns=db.session.scalars(select(Town).order_by(Town.sort_order, Town.name)).all(),
        query=request.args.to_dict(),
        headcount=headcount(),
    )


@roles_required(*MANAGERS)
def safety_directors_export(fmt: str):
    args = _director_args()
    cover = directors.coverage(current_user, **args)
    rows = directors.missing(current_user, **args)
    lines = _tracker_lines(tracker.Filters(sector_id=args["sector_id"], town_id=args["town_id"]))
    name = f"应配备未配备安全总监的企业-{_today().isoformat()}"
    if fmt == "xlsx":
        return download(
            coverage.directors_xlsx(cover, rows, lines, _today()), f"{name}.xlsx", exports.XLSX
        )
    title = _("Enterprises without the safety director they must have")
    return download(
        coverage.directors_pdf(cover, rows, lines, title), f"{name}.pdf", "application/pdf"
    )

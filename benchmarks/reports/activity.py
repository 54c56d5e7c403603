"""Certificates for passers, training sessions with enrolments and attendance, warning-film
screenings with named attendance, and hours from outside training."""

from __future__ import annotations

import json
import random
from datetime import date, datetime, timedelta

from benchmarks.reports.attempts import Outcome
from benchmarks.reports.copying import copy_rows, row
from benchmarks.reports.register import Register

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
ROLE_CHINESE = {
    "principal_leader": "主要负责人",
    "safety_director": "安全总监",
    "safety_manager": "安全生产管理人员",
}
FILMS = [
    "生命至上 警钟长鸣",
    "警钟长鸣——危险化学品事故警示录",
    "有限空间作业事故警示",
    "粉尘爆炸事故警示",
    "血的教训——建筑施工事故案例",
    "道路运输安全警示",
    "金属冶炼事故警示",
    "安全生产月警示教育片",
]


def _valid_until(issued: date) -> date:
    try:
        return issued.replace(year=issued.year + 3) - timedelta(days=1)
    except ValueError:
        return issued.replace(year=issued.year + 3, day=28)


def load_certificates(conn, reg: Register, rng: random.Random, out: Outcome) -> int:
    """One certificate per valid pass (each superseding the one before), plus certificates from
    before the platform for some people (issued 2023-24, so some expire or are expiring now)."""
    lines, numbers, cert_id = [], set(), 1
    people = range(1, len(reg.person_role))
    legacy = {p for p in people if rng.random() < 0.15}
    for pid in people:
        issues = []
        if pid in legacy:
            issued = date(2023, 6, 1) + timedelta(days=rng.randrange(0, 600))
            issues.append(
                (
                    None,
                    None,
                    datetime(issued.year, issued.month, issued.day, 2),
                    rng.choice((82.5, 90.0)),
                )
            )
        issues.extend(out.passes.get(pid, ()))
        for i, (exam_id, attempt_id, when, score) in enumerate(issues):
            number = ""
            while not number or number in numbers:
                chars = "".join(rng.choice(ALPHABET) for _ in range(10))
                number = f"AP{when.year}-{chars[:5]}-{chars[5:]}"
            numbers.add(number)
            last = i == len(issues) - 1
            revoked = last and rng.random() < 0.005
            enterprise = reg.person_enterprise[pid]
            lines.append(
                row(
                    cert_id,
                    number,
                    "special_exam",
                    pid,
                    attempt_id,
                    exam_id,
                    reg.person_name[pid],
                    reg.person_id_number[pid],
                    reg.enterprise_name[enterprise] if enterprise else "",
                    enterprise,
                    ROLE_CHINESE[reg.person_role[pid]],
                    out.exam_titles.get(exam_id, "安全生产知识考试（平台启用前）"),
                    score,
                    when.date(),
                    _valid_until(when.date()),
                    when,
                    None,
                    None,
                    when + timedelta(minutes=1),
                    0,
                    None,
                    when + timedelta(days=30) if revoked else None,
                    "证书信息有误，撤销" if revoked else None,
                    reg.admin_id if revoked else None,
                    None if last else issues[i + 1][2],
                    None if last else cert_id + 1,
                )
            )
            cert_id += 1
    return copy_rows(
        conn,
        "certificate",
        "id, number, kind, person_id, attempt_id, exam_id, holder_name, id_number, "
        "enterprise_name, enterprise_id, role, exam_title, score, issued_on, valid_until, issued_at, "
        "issued_by_id, pdf, rendered_at, render_failures, render_error, revoked_at, revoke_reason, "
        "revoked_by_id, superseded_at, superseded_by_id",
        lines,
    )


def load_training(
    conn, reg: Register, rng: random.Random, *, sessions: int, per_session: int
) -> dict:
    """Sessions over two years (a few still to come), each with enrolments, 85 % attended."""
    start = reg.now - timedelta(days=700)
    sector_ids = sorted(reg.sectors.values())
    topic_ids = reg.points
    people = range(1, len(reg.person_role))
    rows_s, rows_sector, rows_topic, rows_e = [], [], [], []
    enrolment_id = 1
    for sid in range(1, sessions + 1):
        begins = (start + timedelta(days=rng.randrange(0, 730))).replace(
            hour=1, minute=0, second=0, microsecond=0
        )
        hours = rng.choice((4.0, 8.0, 8.0, 12.0, 16.0))
        sector = rng.choice(sector_ids)
        cancelled = rng.random() < 0.02
        rows_s.append(
            row(
                sid,
                f"{begins.year}年安全生产培训第{sid}期",
                "应急管理局讲师团",
                "区应急管理局",
                begins,
                begins + timedelta(hours=min(hours, 8)),
                hours,
                "onsite",
                "区应急管理局培训中心",
                "",
                per_session + 20,
                json.dumps({"person_ids": [], "enterprise_ids": [], "roles": []}),
                f"secret{sid}",
                "",
                begins - timedelta(days=1) if cancelled else None,
                "场地调整" if cancelled else None,
                begins - timedelta(days=30),
                rng.choice(reg.organiser_ids),
            )
        )
        rows_sector.append(row(sid, sector))
        rows_topic.extend(row(sid, t) for t in rng.sample(topic_ids, rng.choice((1, 2, 3))))
        held = begins < reg.now and not cancelled
        for pid in rng.sample(people, rng.randrange(per_session // 2, per_session * 3 // 2)):
            came = held and rng.random() < 0.85
            status = "withdrawn" if rng.random() < 0.03 else "enrolled"
            rows_e.append(
                row(
                    enrolment_id,
                    sid,
                    pid,
                    status,
                    begins - timedelta(days=7),
                    begins + timedelta(minutes=10) if came and status == "enrolled" else None,
                    rng.choice(("rollcall", "qr")) if came and status == "enrolled" else None,
                    reg.organiser_ids[0] if came else None,
                )
            )
            enrolment_id += 1
    counts = {
        "training_session": copy_rows(
            conn,
            "training_session",
            "id, title, lecturer, organising_unit, starts_at, ends_at, hours, mode, venue, "
            "link, capacity, invitation, signin_secret, description, cancelled_at, cancel_reason, created_at, "
            "created_by_id",
            rows_s,
        )
    }
    copy_rows(conn, "training_session_sector", "session_id, sector_id", rows_sector)
    copy_rows(conn, "training_session_topic", "session_id, topic_id", rows_topic)
    counts["enrolment"] = copy_rows(
        conn,
        "enrolment",
        "id, session_id, person_id, status, enrolled_at, attended_at, attended_by, marked_by_id",
        rows_e,
    )
    counts["external_training"] = copy_rows(
        conn,
        "external_training",
        "id, person_id, title, provider, held_on, hours, evidence_name, evidence_type, "
        "evidence, created_at, created_by_id",
        (
            row(
                i,
                rng.choice(people),
                "危险化学品安全管理培训",
                "省安全生产培训中心",
                (start + timedelta(days=rng.randrange(0, 700))).date(),
                rng.choice((8.0, 16.0)),
                "结业证书.pdf",
                "application/pdf",
                b"%PDF-1.4 bench",
                start,
                reg.admin_id,
            )
            for i in range(1, 3001)
        ),
    )
    return counts


def load_screenings(
    conn, reg: Register, rng: random.Random, *, screenings: int, named: int
) -> dict:
    """Warning-film screenings with headcounts of cadres and workers and named attendees."""
    start = reg.now - timedelta(days=700)
    copy_rows(
        conn,
        "film",
        "id, title, accident, duration_minutes, source, description, created_at",
        (
            row(i, t, "", rng.choice((25, 40, 60)), "应急管理部宣传教育中心", "", start)
            for i, t in enumerate(FILMS, start=1)
        ),
    )
    people = range(1, len(reg.person_role))
    rows_s, rows_f, rows_a, attendance_id = [], [], [], 1
    for sid in range(1, screenings + 1):
        when = (start + timedelta(days=rng.randrange(0, 700))).replace(
            minute=0, second=0, microsecond=0
        )
        attendees = rng.sample(people, rng.randrange(named // 2, named * 3 // 2))
        rows_s.append(
            row(
                sid,
                when,
                "镇政府会议室",
                "区应急管理局",
                "企业主要负责人及一线职工",
                2.0,
                rng.randrange(10, 60),
                rng.randrange(len(attendees), len(attendees) + 300),
                rng.choice(sorted(reg.sectors.values())),
                rng.choice(reg.towns),
                when,
                reg.admin_id,
            )
        )
        rows_f.extend(
            row(sid, f) for f in rng.sample(range(1, len(FILMS) + 1), rng.choice((1, 1, 2)))
        )
        for pid in attendees:
            rows_a.append(row(attendance_id, sid, pid, when + timedelta(minutes=5), reg.admin_id))
            attendance_id += 1
    counts = {
        "screening": copy_rows(
            conn,
            "screening",
            "id, starts_at, venue, organising_unit, audience, hours, "
            "headcount_cadres, headcount_workers, sector_id, town_id, created_at, "
            "created_by_id",
            rows_s,
        )
    }
    copy_rows(conn, "screening_film", "screening_id, film_id", rows_f)
    counts["screening_attendance"] = copy_rows(
        conn,
        "screening_attendance",
        "id, screening_id, person_id, recorded_at, recorded_by_id",
        rows_a,
    )
    return counts

"""Admission notices (准考证): per candidate and in bulk per exam, as PDFs.

The notice is an official Chinese document, so its wording is Chinese whatever the
interface language of whoever prints it.
"""

from __future__ import annotations

from flask import abort, current_app, request
from flask_login import current_user
from sqlalchemy import select

from exam.auth.access import MANAGERS, roles_required
from exam.auth.models import User, UserRole
from exam.certificates.views import PDF
from exam.core.extensions import db
from exam.core.identifiers import mask_id_number
from exam.core.timeutil import format_datetime, local_today
from exam.core.uploads import download
from exam.exams import examday
from exam.exams.eligibility import candidates_of, is_eligible
from exam.exams.models import Exam
from exam.exams.services import blueprint_of
from exam.people.access import visible_people
from exam.people.models import Person, PersonRole

ROLE_NAMES = {PersonRole.PRINCIPAL_LEADER: "主要负责人", PersonRole.SAFETY_DIRECTOR: "安全总监"}


def exam_rules(exam: Exam, duration_minutes: int) -> tuple[str, ...]:
    """The rules printed on the notice, from the exam's own settings."""
    rules = [
        f"请在上述时间内任选时间登录参加考试，每次限时 {duration_minutes} 分钟，开始后计时不暂停，"
        "时间到自动交卷。",
        "请使用本人账号登录并独立作答；答案随时自动保存，网络中断时保存在本机，恢复后自动上传。",
    ]
    if exam.one_device:
        rules.append("一次考试只能在一台设备上进行；如需更换设备，须经监考老师允许。")
    if exam.focus_tracking:
        text = "考试中离开考试页面（切换应用、切换标签页）会被记录"
        rules.append(
            text
            + (f"，超过 {exam.focus_loss_limit} 次将自动交卷。" if exam.focus_loss_limit else "。")
        )
    if exam.access_code:
        rules.append("开考时须输入考场内公布的准入码。")
    if exam.allowed_networks:
        rules.append("本场考试须在指定考场网络内参加。")
    rules.append(
        f"满分 {blueprint_of(exam).total_points:g} 分，{exam.pass_mark:g} 分合格；交卷后即可查看成绩。"
        + (
            "不合格者可参加一次补考，补考不合格须回炉培训。"
            if exam.makeup_of_id is None
            else "补考不合格者须回炉培训后再参加考试。"
        )
    )
    rules.append(
        f"考试合格者获得合格证明，有效期 {current_app.config['CERTIFICATE_YEARS']} 年，可扫码验证真伪。"
    )
    return tuple(rules)


def notice_data(exam: Exam, user: User):
    from exam.certificates.notice_pdf import AdmissionData

    person = user.person
    terms = examday.terms_for(exam, user)
    site = (current_app.config.get("SITE_URL") or request.host_url).rstrip("/")
    window = f"{format_datetime(terms.opens_at)} 至 {format_datetime(terms.closes_at)}"
    return AdmissionData(
        number=f"{exam.id:04d}{person.id:07d}",
        authority=current_app.config["BUREAU_NAME"],
        candidate_name=person.name,
        id_number_masked=mask_id_number(person.id_number),
        enterprise=person.enterprise.name if person.enterprise else "",
        role=ROLE_NAMES.get(person.role, str(PersonRole.label(person.role))),
        exam_title=exam.title,
        window=window,
        duration_minutes=terms.duration_minutes,
        site_url=site,
        login=person.id_number,
        initial_password=user.initial_password if user.password_hash is None else None,
        rules=exam_rules(exam, terms.duration_minutes),
    )


def _render(exam: Exam, users: list[User]) -> bytes:
    from exam.certificates.notice_pdf import render_admission_notices

    return render_admission_notices(
        [notice_data(exam, u) for u in users], current_app.config["CERTIFICATE_FONT"] or None
    )


def _manageable_exam(exam_id: int) -> Exam:
    from exam.exams.access import get_exam_or_404

    return get_exam_or_404(exam_id)


@roles_required(*MANAGERS)
def admission_all(exam_id: int):
    exam = _manageable_exam(exam_id)
    visible = set(db.session.scalars(visible_people(current_user).with_only_columns(Person.id)))
    users = [u for u in candidates_of(exam) if u.person_id in visible]
    if not users:
        abort(404)
    return download(
        _render(exam, users), f"准考证-{exam.title}-{local_today().isoformat()}.pdf", PDF
    )


@roles_required(*MANAGERS)
def admission_one(exam_id: int, person_id: int):
    exam = _manageable_exam(exam_id)
    person = db.session.scalar(visible_people(current_user).where(Person.id == person_id)) or abort(
        404
    )
    user = db.session.scalar(select(User).where(User.person_id == person.id)) or abort(404)
    if not is_eligible(exam, user):
        abort(404)
    return download(_render(exam, [user]), f"准考证-{person.name}.pdf", PDF)


@roles_required(UserRole.CANDIDATE)
def admission_mine(exam_id: int):
    exam = db.session.get(Exam, exam_id)
    if exam is None or not exam.is_published or not is_eligible(exam, current_user):
        abort(404)
    return download(_render(exam, [current_user]), f"准考证-{exam.title}.pdf", PDF)

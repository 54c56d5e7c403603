"""Certificates in the app: issuing on passing, lifecycle, the public page, bulk download,
admission notices."""

import io
import re
import subprocess
import threading
import zipfile
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from conftest import PASSWORD, require_tool

from exam.audit.models import AuditEntry
from exam.auth.models import User, UserRole
from exam.certificates import services as certificates
from exam.certificates.models import Certificate, PublicLookup
from exam.core.extensions import db
from exam.core.timeutil import local_today, utcnow
from exam.exams import services as exams
from exam.exams.models import Attempt


@pytest.fixture
def needs_poppler():
    require_tool("pdftotext", "poppler-utils")


def _client(app, user):
    client = app.test_client()
    assert (
        client.post("/login", data={"login": user.username, "password": PASSWORD}).status_code
        == 302
    )
    return client


def _passed(exam, user, now=None) -> Attempt:
    """A submitted attempt marked as passed (as grading would for a good paper)."""
    now = now or utcnow()
    attempt = exams.start_attempt(exam, user, now)
    exams.submit(attempt, now)
    attempt.passed, attempt.score = True, 92.0
    db.session.commit()
    return attempt


def _text(pdf: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()


def _answer_everything_right(client, attempt_id):
    from conftest import ANSWERS

    paper = client.get(f"/api/v1/attempts/{attempt_id}").get_json()["paper"]["questions"]
    attempt = db.session.get(Attempt, attempt_id)
    for seq, question in enumerate(paper, start=1):
        item = next(i for i in attempt.paper if i["question_id"] == question["question_id"])
        right = ANSWERS[question["kind"]]
        if question["kind"] in ("single", "multiple"):  # the letters as shown, after shuffling
            order = item["option_order"]
            right = "".join(sorted("ABCD"[order.index("ABCD".index(letter))] for letter in right))
        elif question["kind"] == "fill":
            right = [alternatives[0] for alternatives in right]
        response = client.put(
            f"/api/v1/attempts/{attempt_id}/answers/{question['question_id']}",
            json={"answer": right, "seq": seq},
        )
        assert response.status_code == 200, response.get_data(as_text=True)


def test_passing_through_the_api_issues_a_certificate_after_the_submission(
    app, make_exam, make_user, needs_poppler
):
    exam = make_exam(review_policy="immediately")
    candidate = make_user(UserRole.CANDIDATE)
    client = _client(app, candidate)
    attempt_id = client.post(f"/api/v1/exams/{exam.id}/attempts").get_json()["attempt_id"]
    _answer_everything_right(client, attempt_id)
    result = client.post(f"/api/v1/attempts/{attempt_id}/submit").get_json()
    assert result["passed"] is True and result["score"] == 100
    certificate = db.session.scalar(
        db.select(Certificate).where(Certificate.attempt_id == attempt_id)
    )
    assert certificate.holder_name == candidate.person.name and certificate.role == "主要负责人"
    assert certificate.valid_until == certificate.issued_on.replace(
        year=certificate.issued_on.year + 3
    ) - timedelta(1)
    assert certificate.number.startswith(f"AP{local_today().year}-")
    # The candidate downloads it (rendered on first download if the scheduler has not yet).
    page = client.get("/certificates").get_data(as_text=True)
    assert certificate.number in page
    pdf = client.get(f"/certificates/{certificate.id}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = _text(pdf.data)
    assert candidate.person.name in text and certificate.number in text
    # Another candidate cannot.
    assert (
        _client(app, make_user(UserRole.CANDIDATE))
        .get(f"/certificates/{certificate.id}.pdf")
        .status_code
        == 404
    )


def test_a_failing_certificate_never_fails_the_submission(app, make_exam, make_user, monkeypatch):
    exam = make_exam()
    client = _client(app, make_user(UserRole.CANDIDATE))
    attempt_id = client.post(f"/api/v1/exams/{exam.id}/attempts").get_json()["attempt_id"]
    _answer_everything_right(client, attempt_id)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(certificates, "issue_for_attempt", broken)
    response = client.post(f"/api/v1/attempts/{attempt_id}/submit")
    assert response.status_code == 200 and response.get_json()["passed"] is True
    assert db.session.scalar(db.select(db.func.count(Certificate.id))) == 0
    monkeypatch.undo()
    assert certificates.sweep()[0] == 1  # the scheduler's sweep issues it
    db.session.commit()
    assert certificates.sweep() == (0, 0)  # and running it again changes nothing


def test_a_render_failure_is_kept_and_retried(app, make_exam, make_user, monkeypatch):
    from exam.certificates import pdf

    attempt = _passed(make_exam(), make_user(UserRole.CANDIDATE))

    def broken(*args, **kwargs):
        raise OSError("font unreadable")

    monkeypatch.setattr(pdf, "render_certificate", broken)
    assert certificates.sweep() == (1, 0)
    db.session.commit()
    certificate = db.session.scalar(
        db.select(Certificate).where(Certificate.attempt_id == attempt.id)
    )
    assert certificate.render_failures == 1 and "font unreadable" in certificate.render_error
    assert certificate.next_render_at > utcnow()  # backing off: the next sweep waits
    assert certificates.sweep() == (0, 0)
    monkeypatch.undo()
    assert certificates.sweep(certificate.next_render_at) == (0, 1)
    db.session.commit()
    assert certificate.rendered_at is not None and certificate.render_error is None
    assert certificate.render_failures == 0 and certificate.next_render_at is None


def test_one_valid_certificate_per_person_a_new_one_supersedes(app, make_exam, make_user):
    candidate = make_user(UserRole.CANDIDATE)
    first = certificates.issue_for_attempt(_passed(make_exam(), candidate), utcnow())
    db.session.commit()
    second = certificates.issue_for_attempt(_passed(make_exam(), candidate), utcnow())
    db.session.commit()
    assert first.superseded_by_id == second.id and first.status(local_today()) == "superseded"
    assert certificates.current_certificate(candidate.person_id) == second
    # The database itself refuses a second current certificate.
    from sqlalchemy.exc import IntegrityError

    duplicate = Certificate(
        number="AP2026-XXXXX-XXXXX",
        person_id=candidate.person_id,
        holder_name="x",
        id_number="x",
        enterprise_name="x",
        role="x",
        exam_title="x",
        issued_on=local_today(),
        valid_until=local_today(),
    )
    db.session.add(duplicate)
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_concurrent_issues_for_one_attempt_give_one_certificate(app, make_exam, make_user):
    attempt_id = _passed(make_exam(), make_user(UserRole.CANDIDATE)).id

    def issue(_):
        with app.app_context():
            try:
                certificate = certificates.issue_for_attempt(
                    db.session.get(Attempt, attempt_id), utcnow()
                )
                db.session.commit()
                return certificate.number
            except Exception as error:  # noqa: BLE001 - a loser may see the winner's row
                db.session.rollback()
                return type(error).__name__
            finally:
                db.session.remove()

    with ThreadPoolExecutor(6) as pool:
        list(pool.map(issue, range(6)))
    numbers = db.session.scalars(
        db.select(Certificate.number).where(Certificate.attempt_id == attempt_id)
    ).all()
    assert len(numbers) == 1


def test_concurrent_submits_log_the_certificate_issued_once(app, make_exam, make_user, monkeypatch):
    """Ten submissions of one passing attempt at once each announce the pass; the one
    certificate is issued once, and the audit log says so once (not once per submission)."""
    from exam.exams import signals as exams_signals

    attempt_id = _passed(make_exam(), make_user(UserRole.CANDIDATE)).id
    barrier = threading.Barrier(10, timeout=20)
    snapshot = certificates._snapshot

    def in_step(certificate, person):  # all ten found no certificate before any inserts one
        snapshot(certificate, person)
        barrier.wait()

    monkeypatch.setattr(certificates, "_snapshot", in_step)

    def submitted(_):
        with app.app_context():
            try:
                exams_signals.attempt_passed.send(attempt_id)  # as the submit view does
            finally:
                db.session.remove()

    with ThreadPoolExecutor(10) as pool:
        list(pool.map(submitted, range(10)))
    assert not barrier.broken
    issued = db.session.scalars(
        db.select(Certificate.id).where(Certificate.attempt_id == attempt_id)
    ).all()
    assert len(issued) == 1
    entries = db.session.scalars(
        db.select(AuditEntry).where(AuditEntry.action == "certificate.issue")
    ).all()
    assert [(e.object_type, e.object_id) for e in entries] == [("certificate", issued[0])]


def test_the_public_page_shows_each_status(app, client, make_exam, make_user):
    organiser = make_user(UserRole.ORGANISER)
    holders = [make_user(UserRole.CANDIDATE) for _ in range(4)]
    issued = [certificates.issue_for_attempt(_passed(make_exam(), h), utcnow()) for h in holders]
    valid, expired, revoked, superseded = issued
    expired.valid_until = local_today() - timedelta(days=1)
    certificates.revoke(revoked, organiser, "证件造假", utcnow())
    newer = certificates.reissue(superseded, organiser, "姓名更正", utcnow())
    db.session.commit()
    expect = {
        valid: "有效",
        expired: "已过期",
        revoked: "已撤销",
        superseded: "已被新证书取代",
        newer: "有效",
    }
    for certificate, label in expect.items():
        response = client.get(f"/verify/{certificate.number}")  # no login
        page = response.get_data(as_text=True)
        assert response.status_code == 200 and label in page, certificate.number
        assert certificate.holder_name not in page  # masked
        assert certificates.masked_name(certificate.holder_name) in page
    revoked_page = client.get(f"/verify/{revoked.number}").get_data(as_text=True)
    assert "撤销于" in revoked_page and "吊销" not in revoked_page
    assert (
        client.get(f"/verify?number={valid.number.lower()}")
        .headers["Location"]
        .endswith(valid.number)
    )
    missing = client.get("/verify/AP2026-00000-00000")
    assert missing.status_code == 404 and "不是真证" in missing.get_data(as_text=True)


def test_the_public_page_is_rate_limited(app, client):
    app.config["VERIFY_PER_MINUTE"] = 3
    codes = [client.get(f"/verify/AP2026-00000-0000{i}").status_code for i in range(5)]
    assert codes == [404, 404, 404, 429, 429]
    db.session.query(PublicLookup).update({PublicLookup.at: utcnow() - timedelta(minutes=2)})
    db.session.commit()
    assert client.get("/verify/AP2026-00000-00001").status_code == 404


def test_revoke_and_reissue_are_logged_and_need_a_reason(app, make_exam, make_user):
    candidate = make_user(UserRole.CANDIDATE)
    certificate = certificates.issue_for_attempt(_passed(make_exam(), candidate), utcnow())
    db.session.commit()
    manager = _client(app, make_user(UserRole.ORGANISER))
    refused = manager.post(
        f"/manage/certificates/{certificate.id}/revoke", data={"reason": ""}, follow_redirects=True
    )
    assert "请说明原因" in refused.get_data(as_text=True)
    candidate.person.name = "张伟强"
    db.session.commit()
    response = manager.post(
        f"/manage/certificates/{certificate.id}/reissue",
        data={"reason": "姓名更正"},
        follow_redirects=True,
    )
    assert "新编号" in response.get_data(as_text=True)
    fresh = certificates.current_certificate(candidate.person_id)
    assert fresh.holder_name == "张伟强" and fresh.number != certificate.number
    assert fresh.valid_until == certificate.valid_until
    manager.post(f"/manage/certificates/{fresh.id}/revoke", data={"reason": "违规取得"})
    db.session.expire_all()
    assert db.session.get(Certificate, fresh.id).revoked_at is not None
    actions = set(db.session.scalars(db.select(AuditEntry.action)))
    assert {"certificate.issue", "certificate.reissue", "certificate.revoke"} <= actions


def test_organisers_see_only_certificates_in_their_scope(app, make_exam, make_user):
    from exam.people.models import Sector

    mines = db.session.scalar(db.select(Sector).where(Sector.code == "coal_mine"))
    certificate = certificates.issue_for_attempt(
        _passed(make_exam(), make_user(UserRole.CANDIDATE)), utcnow()
    )
    db.session.commit()
    outsider = _client(app, make_user(UserRole.ORGANISER, scope_sectors=[mines]))
    assert outsider.get(f"/manage/certificates/{certificate.id}").status_code == 404
    assert outsider.get(f"/certificates/{certificate.id}.pdf").status_code == 404
    assert certificate.number not in outsider.get("/manage/certificates").get_data(as_text=True)
    assert (
        outsider.post(
            f"/manage/certificates/{certificate.id}/revoke", data={"reason": "x"}
        ).status_code
        == 404
    )


def test_certificates_expiring_soon_are_listed_and_their_holders_told(app, make_exam, make_user):
    soon_holder, later_holder = make_user(UserRole.CANDIDATE), make_user(UserRole.CANDIDATE)
    soon = certificates.issue_for_attempt(_passed(make_exam(), soon_holder), utcnow())
    later = certificates.issue_for_attempt(_passed(make_exam(), later_holder), utcnow())
    soon.valid_until = local_today() + timedelta(days=30)
    db.session.commit()
    manager = _client(app, make_user(UserRole.ORGANISER))
    page = manager.get("/manage/certificates?expiring=60").get_data(as_text=True)
    assert soon.number in page and later.number not in page
    assert "即将到期" in _client(app, soon_holder).get("/").get_data(as_text=True)
    assert 'id="notice-certificate"' not in _client(app, later_holder).get("/").get_data(
        as_text=True
    )


def test_bulk_download_renders_in_steps_then_zips(app, make_exam, make_user):
    exam = make_exam()
    for _ in range(3):
        certificates.issue_for_attempt(_passed(exam, make_user(UserRole.CANDIDATE)), utcnow())
    db.session.commit()
    revoked = certificates.issue_for_attempt(_passed(exam, make_user(UserRole.CANDIDATE)), utcnow())
    organiser = make_user(UserRole.ORGANISER)
    certificates.revoke(revoked, organiser, "违规", utcnow())
    db.session.commit()
    manager = _client(app, organiser)
    assert "已发放 3 份" in manager.get(f"/manage/exams/{exam.id}/certificates").get_data(
        as_text=True
    )
    counts = manager.post(f"/manage/exams/{exam.id}/certificates/render").get_json()
    assert counts == {"total": 3, "pending": 0}
    archive = zipfile.ZipFile(
        io.BytesIO(manager.get(f"/manage/exams/{exam.id}/certificates.zip").data)
    )
    assert len(archive.namelist()) == 3 and all(n.endswith(".pdf") for n in archive.namelist())
    assert not any(revoked.number in n for n in archive.namelist())
    assert all(archive.read(n).startswith(b"%PDF") for n in archive.namelist())


def test_an_organiser_issues_missing_certificates_in_bulk(app, make_exam, make_user):
    exam = make_exam()
    for _ in range(2):
        _passed(exam, make_user(UserRole.CANDIDATE))
    manager = _client(app, make_user(UserRole.ORGANISER))
    response = manager.post(f"/manage/exams/{exam.id}/certificates/issue", follow_redirects=True)
    assert "已发放 2 份" in response.get_data(as_text=True)
    issued_by = db.session.scalars(db.select(Certificate.issued_by_id)).all()
    assert len(issued_by) == 2 and None not in issued_by


def test_admission_notices_per_candidate_and_in_bulk(
    app, make_exam, make_user, make_person, needs_poppler
):
    exam = make_exam()
    # One candidate never logged in: their one-time password goes on the notice.
    newcomer = make_person("赵敏", role="safety_director")
    newcomer_user = db.session.scalar(db.select(User).where(User.person_id == newcomer.id))
    known = make_user(UserRole.CANDIDATE)
    db.session.commit()
    manager = _client(app, make_user(UserRole.ORGANISER))
    bulk = manager.get(f"/manage/exams/{exam.id}/admission.pdf")
    assert bulk.status_code == 200
    pages = subprocess.run(
        ["pdfinfo", "-"], input=bulk.data, capture_output=True, check=True
    ).stdout.decode()
    candidates = db.session.scalar(
        db.select(db.func.count(User.id)).where(User.role == UserRole.CANDIDATE)
    )
    assert re.search(r"^Pages:\s+(\d+)$", pages, re.M).group(1) == str(candidates) == "2"
    one = _text(manager.get(f"/manage/exams/{exam.id}/admission/{newcomer.id}.pdf").data)
    assert "赵敏" in one and newcomer_user.initial_password in one
    mine = _client(app, known).get(f"/exams/{exam.id}/admission.pdf")
    text = _text(mine.data)
    assert known.person.name in text and "请使用本人已设置的密码" in text.replace("\n", "")
    assert known.initial_password is None or known.initial_password not in text


def test_the_seal_is_checked_by_content(app, client, login_as):
    login_as(UserRole.ADMIN)
    fake = client.post(
        "/manage/certificates/seal",
        data={"seal": (io.BytesIO(b"<svg>not an image</svg>"), "seal.png")},
        follow_redirects=True,
    )
    assert "PNG 或 JPEG" in fake.get_data(as_text=True)
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGBA", (120, 120), (200, 0, 0, 200)).save(buffer, "PNG")
    saved = client.post(
        "/manage/certificates/seal",
        data={"seal": (io.BytesIO(buffer.getvalue()), "公章.png")},
        follow_redirects=True,
    )
    assert "公章已保存" in saved.get_data(as_text=True)
    assert certificates.seal() == buffer.getvalue()


def test_cancelling_or_reopening_the_attempt_revokes_its_certificate(app, make_exam, make_user):
    from exam.exams import examday

    organiser = make_user(UserRole.ORGANISER)
    cheat = _passed(make_exam(), make_user(UserRole.CANDIDATE))
    certificate = certificates.issue_for_attempt(cheat, utcnow())
    examday.cancel(cheat, organiser, "替考", utcnow())
    db.session.commit()
    assert certificate.revoked_at is not None and "替考" in certificate.revoke_reason
    assert "已撤销" in app.test_client().get(f"/verify/{certificate.number}").get_data(as_text=True)
    cut = _passed(make_exam(), make_user(UserRole.CANDIDATE))
    other = certificates.issue_for_attempt(cut, utcnow())
    examday.reopen(cut, 10, organiser, "停电", utcnow())
    db.session.commit()
    assert other.revoked_at is not None


def test_validity_runs_to_the_day_before_the_anniversary(app):
    from datetime import date

    assert certificates.valid_until(date(2026, 11, 27), 3) == date(2029, 11, 26)
    assert certificates.valid_until(date(2024, 2, 29), 3) == date(2027, 2, 28)
    assert certificates.valid_until(date(2024, 3, 1), 3) == date(2027, 2, 28)


def test_an_older_pass_certified_late_does_not_replace_the_newer_certificate(
    app, make_exam, make_user
):
    candidate = make_user(UserRole.CANDIDATE)
    old_exam = make_exam(opens=-800)
    old_exam.title = "旧考试"
    older = _passed(old_exam, candidate, utcnow() - timedelta(days=30))
    newer = certificates.issue_for_attempt(_passed(make_exam(), candidate), utcnow())
    db.session.commit()
    late = certificates.issue_for_attempt(older, utcnow())
    db.session.commit()
    assert certificates.current_certificate(candidate.person_id) == newer
    assert late.superseded_by_id == newer.id

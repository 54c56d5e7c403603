"""Rendering certificates' PDFs while rendering fails: the sweep backs off but never gives up,
downloads do not spend its retries, and organisers see what waits and why."""

from datetime import timedelta

import pytest
from test_certificates import _client, _passed

from exam.auth.models import UserRole
from exam.certificates import services as certificates
from exam.certificates.models import Certificate
from exam.core.extensions import db
from exam.core.timeutil import utcnow

MISSING_FONT = "/nonexistent/certificate-font.ttf"


@pytest.fixture
def broken_font(app):
    """Rendering fails as with a bad ANPEI_CERTIFICATE_FONT; ``fix()`` puts the setting back."""
    configured = app.config["CERTIFICATE_FONT"]
    app.config["CERTIFICATE_FONT"] = MISSING_FONT

    class Font:
        @staticmethod
        def fix():
            app.config["CERTIFICATE_FONT"] = configured

    yield Font
    app.config["CERTIFICATE_FONT"] = configured


def _issued(app, make_exam, make_user):
    """A candidate with an issued, not yet rendered certificate, and their logged-in client."""
    candidate = make_user(UserRole.CANDIDATE)
    attempt = _passed(make_exam(), candidate)
    certificate = certificates.issue_for_attempt(attempt, utcnow())
    db.session.commit()
    return certificate, _client(app, candidate)


def _retry_state(certificate_id: int) -> tuple:
    return db.session.execute(
        db.select(
            Certificate.render_failures,
            Certificate.next_render_at,
            Certificate.render_error,
            Certificate.rendered_at,
        ).where(Certificate.id == certificate_id)
    ).one()


def test_downloads_while_the_font_is_broken_do_not_stop_the_sweep(
    app, make_exam, make_user, broken_font
):
    certificate, holder = _issued(app, make_exam, make_user)
    now = utcnow()
    assert certificates.sweep(now) == (0, 0)  # the sweep's own try fails
    db.session.commit()
    for _ in range(5):  # the holder keeps clicking while the font is broken
        assert holder.get(f"/certificates/{certificate.id}.pdf").status_code != 200
    broken_font.fix()
    assert certificates.sweep(now + timedelta(hours=1)) == (0, 1)
    db.session.commit()
    failures, next_try, error, rendered_at = _retry_state(certificate.id)
    assert rendered_at is not None and (failures, next_try, error) == (0, None, None)
    response = holder.get(f"/certificates/{certificate.id}.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")


def test_a_download_during_the_outage_answers_503_and_leaves_the_retries_alone(
    app, make_exam, make_user, broken_font
):
    certificate, holder = _issued(app, make_exam, make_user)
    now = utcnow()
    certificates.sweep(now)
    db.session.commit()
    before = _retry_state(certificate.id)
    assert before[0] == 1 and "certificate font" in before[2]
    response = holder.get(f"/certificates/{certificate.id}.pdf")
    assert response.status_code == 503
    assert 0 < int(response.headers["Retry-After"]) <= 60
    page = response.get_data(as_text=True)
    assert "证书正在准备中" in page and certificate.number in page
    assert _retry_state(certificate.id) == before


def test_the_back_off_grows_and_is_capped_at_an_hour(app, make_exam, make_user, broken_font):
    assert [certificates.render_backoff(n).total_seconds() // 60 for n in range(1, 10)] == [
        1, 2, 4, 8, 16, 32, 60, 60, 60,
    ]  # fmt: skip
    assert certificates.render_backoff(10_000) == timedelta(hours=1)
    certificate, _holder = _issued(app, make_exam, make_user)
    now, waits = utcnow(), []
    for _ in range(8):
        assert certificates.sweep(now) == (0, 0)
        db.session.commit()
        failures, next_try, _error, _rendered = _retry_state(certificate.id)
        waits.append((next_try - now).total_seconds() // 60)
        assert certificates.sweep(next_try - timedelta(seconds=1)) == (0, 0)  # not before
        db.session.commit()
        assert _retry_state(certificate.id)[0] == failures
        now = next_try
    assert waits == [1, 2, 4, 8, 16, 32, 60, 60]


def test_organisers_see_the_certificates_waiting_for_their_pdf_and_why(
    app, make_exam, make_user, broken_font
):
    from exam.people.models import Sector

    certificate, _holder = _issued(app, make_exam, make_user)
    certificates.sweep(utcnow())
    db.session.commit()
    page = _client(app, make_user(UserRole.ORGANISER)).get("/manage/certificates")
    panel = page.get_data(as_text=True).split('id="render-waiting"')[1].split("</table>")[0]
    assert "待生成 1 份" in panel and certificate.number in panel
    assert "certificate font" in panel  # the last error, in short
    # Only those who may manage the certificate see it waiting: not an organiser of other
    # sectors, nor the enterprise's contact (who may see the certificate but not manage it).
    mines = db.session.scalar(db.select(Sector).where(Sector.code == "coal_mine"))
    for other in (
        make_user(UserRole.ORGANISER, scope_sectors=[mines]),
        make_user(UserRole.CONTACT, enterprise=certificate.person.enterprise),
    ):
        assert 'id="render-waiting"' not in _client(app, other).get(
            "/manage/certificates"
        ).get_data(as_text=True)
    # Once rendered, nothing waits.
    broken_font.fix()
    certificates.sweep(utcnow() + timedelta(hours=1))
    db.session.commit()
    page = _client(app, make_user(UserRole.ORGANISER)).get("/manage/certificates")
    assert 'id="render-waiting"' not in page.get_data(as_text=True)

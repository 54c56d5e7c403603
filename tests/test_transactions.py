"""One unit of work per request: a request commits at most once; a passing submission's
certificate is issued after that commit, in a unit of work of its own."""

from contextlib import contextmanager

from sqlalchemy import event

from exam.auth.models import UserRole
from exam.certificates.models import Certificate
from exam.core.extensions import db
from exam.exams.models import Attempt


@contextmanager
def counted_commits():
    """The COMMITs the app's engine sends while the block runs."""
    commits = []
    engine = db.engine

    def count(connection):
        commits.append(connection)

    event.listen(engine, "commit", count)
    try:
        yield commits
    finally:
        event.remove(engine, "commit", count)


def _sit(client, exam):
    with counted_commits() as commits:
        response = client.post(f"/api/v1/exams/{exam.id}/attempts")
    assert response.status_code == 201 and len(commits) == 1
    attempt_id = response.get_json()["attempt_id"]
    steps = {
        "paper": lambda: client.get(f"/api/v1/attempts/{attempt_id}"),
        "heartbeat": lambda: client.post(f"/api/v1/attempts/{attempt_id}/heartbeat"),
        "focus": lambda: client.post(
            f"/api/v1/attempts/{attempt_id}/events", json={"kind": "focus_lost"}
        ),
    }
    for name, step in steps.items():
        with counted_commits() as commits:
            assert step().status_code == 200, name
        assert len(commits) <= 1, name
    return attempt_id


def test_each_exam_request_commits_at_most_once(app, client, login_as, make_exam):
    exam = make_exam(review_policy="immediately")
    login_as(UserRole.CANDIDATE)
    attempt_id = _sit(client, exam)
    paper = client.get(f"/api/v1/attempts/{attempt_id}").get_json()["paper"]["questions"]
    single = next(q for q in paper if q["kind"] == "single")["question_id"]
    with counted_commits() as commits:
        saved = client.put(
            f"/api/v1/attempts/{attempt_id}/answers/{single}", json={"answer": "A", "seq": 1}
        )
    assert saved.status_code == 200 and len(commits) <= 1
    with counted_commits() as commits:
        submitted = client.post(f"/api/v1/attempts/{attempt_id}/submit")
    assert submitted.status_code == 200 and submitted.get_json()["passed"] is False
    assert len(commits) == 1
    with counted_commits() as commits:
        result = client.get(f"/api/v1/attempts/{attempt_id}/result")
    assert result.status_code == 200 and len(commits) <= 1
    # The result page in the browser: closing, review shown and all in one commit.
    with counted_commits() as commits:
        assert client.get(f"/attempts/{attempt_id}/result").status_code == 200
    assert len(commits) <= 1


def test_a_passing_submission_commits_then_issues_its_certificate(
    app, client, login_as, make_exam, monkeypatch
):
    exam = make_exam(pass_mark=0)
    login_as(UserRole.CANDIDATE)
    attempt_id = _sit(client, exam)
    seen = []
    from exam.certificates import services as certificates

    issue = certificates.issue_for_attempt

    def issuing(attempt, now):
        # The submission is already committed when the certificate's unit of work begins.
        with db.engine.connect() as other:
            submitted = other.execute(
                db.select(Attempt.submitted_at).where(Attempt.id == attempt.id)
            ).scalar()
        seen.append(submitted)
        return issue(attempt, now)

    monkeypatch.setattr(certificates, "issue_for_attempt", issuing)
    with counted_commits() as commits:
        submitted = client.post(f"/api/v1/attempts/{attempt_id}/submit")
    assert submitted.status_code == 200 and submitted.get_json()["passed"] is True
    assert seen and seen[0] is not None
    assert len(commits) == 2  # the submission, then the certificate
    assert db.session.scalar(db.select(Certificate).where(Certificate.attempt_id == attempt_id))

"""`anpei backup` and `anpei restore`: one archive of the database and the lesson files,
restored into a fresh database with the same rows and files; damaged archives found by
--check; a backup taken while candidates save answers keeps every save acknowledged before it."""

from __future__ import annotations

import io
import tarfile
import threading
import time
from pathlib import Path

import pytest
from conftest import BASE_CONFIG, PASSWORD
from flask.testing import FlaskCliRunner
from sqlalchemy import MetaData, create_engine, make_url, select, text

from exam import create_app
from exam.audit.services import record
from exam.auth.models import UserRole
from exam.certificates import services as certificates
from exam.certificates.models import Certificate, SiteSetting
from exam.cli import main
from exam.core import backup, dbcopy
from exam.core.extensions import db
from exam.core.timeutil import utcnow
from exam.learning import storage
from exam.learning.models import LessonKind

SINGLE_ONLY = [{"count": 5, "kind": "single", "points": 20}]


@pytest.fixture
def fresh_url(database_url, tmp_path):
    """A second, empty database on the same backend to restore into (dropped afterwards)."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored.sqlite'}"
        return
    url = make_url(database_url)
    name = f"{url.database}_restore"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def restored(fresh_url, tmp_path):
    """The app of the fresh database and its own lesson folder, with a CLI runner."""
    app = create_app(
        {
            **BASE_CONFIG,
            "SQLALCHEMY_DATABASE_URI": fresh_url,
            "LEARNING_STORAGE": str(tmp_path / "restored-learning"),
        }
    )

    def invoke(*args):
        with app.app_context():  # the command otherwise runs in the test app's context
            return FlaskCliRunner(app).invoke(main, list(args))

    yield app, invoke
    with app.app_context():
        db.engine.dispose()


def table_rows(url: str) -> dict[str, list]:
    """Every row of every table, in a stable order."""
    engine = create_engine(url)
    try:
        meta = MetaData()
        meta.reflect(engine)
        with engine.connect() as conn:
            return {
                name: sorted((tuple(row) for row in conn.execute(select(t))), key=repr)
                for name, t in meta.tables.items()
            }
    finally:
        engine.dispose()


def files_under(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _pdf() -> bytes:
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    pdf = canvas.Canvas(out)
    pdf.drawString(72, 760, "Lesson")
    pdf.showPage()
    pdf.save()
    return out.getvalue()


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGBA", (64, 64), (200, 0, 0, 255)).save(out, format="PNG")
    return out.getvalue()


def _sit_and_pass(app, make_user, make_exam) -> int:
    """A candidate's attempt, answered and passed through the API: a certificate issued."""
    exam = make_exam(pass_mark=0, rules=SINGLE_ONLY)
    client = _candidate_client(app, make_user)
    attempt_id = client.post(f"/api/v1/exams/{exam.id}/attempts").get_json()["attempt_id"]
    paper = client.get(f"/api/v1/attempts/{attempt_id}").get_json()["paper"]["questions"]
    for seq, question in enumerate(paper, start=1):
        url = f"/api/v1/attempts/{attempt_id}/answers/{question['question_id']}"
        assert client.put(url, json={"answer": "A", "seq": seq}).get_json()["stored"]
    assert client.post(f"/api/v1/attempts/{attempt_id}/submit").status_code == 200
    return attempt_id


def _candidate_client(app, make_user):
    user = make_user(UserRole.CANDIDATE)
    client = app.test_client()
    response = client.post("/login", data={"login": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


@pytest.fixture
def record_kept(app, make_user, make_exam):
    """An exam sat and passed (attempt, answers, certificate with its PDF), a seal, an audit
    entry and a lesson file: what a backup must carry."""
    attempt_id = _sit_and_pass(app, make_user, make_exam)
    db.session.add(SiteSetting(key=certificates.SEAL_KEY, text_value="seal.png", blob_value=_png()))
    record("account.create", make_user(UserRole.ADMIN), "backup test")
    db.session.commit()
    certificates.render_pending(now=utcnow())
    db.session.commit()
    storage.store_upload(io.BytesIO(_pdf()), "lesson.pdf", LessonKind.PDF, None)
    db.session.commit()
    certificate = db.session.scalar(select(Certificate).where(Certificate.attempt_id == attempt_id))
    assert certificate is not None and certificate.pdf
    return attempt_id


def test_a_backup_restores_into_a_fresh_database_with_the_same_rows_and_files(
    app, runner, database_url, fresh_url, restored, record_kept, tmp_path
):
    archive = tmp_path / "anpei.tar.gz"
    made = runner.invoke(args=["backup", str(archive)])
    assert made.exit_code == 0, made.output
    assert "1 attempt, 5 attempt_answer, 1 certificate" in made.output
    assert archive.stat().st_mode & 0o077 == 0  # ID numbers and password hashes inside

    restored_app, restore = restored
    done = restore("restore", str(archive))
    assert done.exit_code == 0, done.output
    assert "the row counts match the archive" in done.output

    source, copy = table_rows(database_url), table_rows(fresh_url)
    assert copy == source
    for name in ("attempt", "attempt_answer", "certificate", "audit_entry", "site_setting"):
        assert copy[name], name
    lessons = files_under(Path(app.config["LEARNING_STORAGE"]))
    assert any(name.endswith(".pdf") for name in lessons)
    assert files_under(Path(restored_app.config["LEARNING_STORAGE"])) == lessons


def test_restore_refuses_a_database_that_is_not_empty_unless_forced(
    runner, restored, record_kept, tmp_path
):
    archive = tmp_path / "anpei.tar"
    assert runner.invoke(args=["backup", str(archive)]).exit_code == 0
    refused = runner.invoke(args=["restore", str(archive)])  # the live database itself
    assert refused.exit_code == 1
    assert "already holds" in refused.output and "--force" in refused.output

    _app, restore = restored
    assert restore("restore", str(archive)).exit_code == 0
    again = restore("restore", str(archive))
    assert again.exit_code == 1 and "already holds" in again.output
    forced = restore("restore", "--force", str(archive))
    assert forced.exit_code == 0, forced.output


def _tampered(archive: Path, out: Path) -> Path:
    """A copy of the archive whose lesson file has one byte changed."""
    with tarfile.open(archive) as source, tarfile.open(out, "w") as target:
        for member in source:
            data = source.extractfile(member).read()
            if member.name.startswith(backup.FILES) and member.name.endswith(".pdf"):
                data = data[:-1] + bytes([data[-1] ^ 1])
            target.addfile(member, io.BytesIO(data))
    return out


def test_check_verifies_an_archive_and_finds_a_damaged_one(
    runner, fresh_url, restored, record_kept, tmp_path
):
    archive = tmp_path / "anpei.tar"
    assert runner.invoke(args=["backup", str(archive)]).exit_code == 0
    checked = runner.invoke(args=["backup", "--check", str(archive)])
    assert checked.exit_code == 0 and "sound" in checked.output, checked.output
    assert runner.invoke(args=["restore", "--check", str(archive)]).exit_code == 0

    damaged = _tampered(archive, tmp_path / "damaged.tar")
    refused = runner.invoke(args=["backup", "--check", str(damaged)])
    assert refused.exit_code == 1 and "checksum or size differs: files/learning/" in refused.output
    _app, restore = restored
    assert restore("restore", str(damaged)).exit_code == 1
    assert all(not rows for rows in table_rows(fresh_url).values())  # nothing restored


def test_pg_dump_gets_the_password_from_the_environment_not_its_arguments(
    app, database_url, monkeypatch, tmp_path
):
    env = dbcopy.libpq_environment(
        make_url("postgresql+psycopg://u:s%40cret@h:5433/db?sslmode=require")
    )
    assert (env["PGUSER"], env["PGPASSWORD"], env["PGHOST"], env["PGPORT"]) == (
        "u",
        "s@cret",
        "h",
        "5433",
    )
    assert (env["PGDATABASE"], env["PGSSLMODE"]) == ("db", "require")
    with pytest.raises(backup.BackupError):
        dbcopy.libpq_environment(make_url("postgresql://u@h/db?nonsense=1"))
    if not database_url.startswith("postgresql"):
        return
    calls = []
    real_run = dbcopy.subprocess.run
    monkeypatch.setattr(
        dbcopy.subprocess,
        "run",
        lambda args, **kw: calls.append((args, kw["env"])) or real_run(args, **kw),
    )
    # The test server trusts local connections: a password is sent and ignored.
    engine = create_engine(make_url(database_url).set(password="s3cret-pw"))
    try:
        backup.create(engine, tmp_path / "none", tmp_path / "pw.tar")
    finally:
        engine.dispose()
    ((args, env),) = calls
    assert Path(args[0]).name == "pg_dump"
    assert not any("s3cret-pw" in str(arg) for arg in args)
    assert env["PGPASSWORD"] == "s3cret-pw"


def test_a_backup_during_an_exam_keeps_every_answer_acknowledged_before_it(
    app, runner, make_user, make_exam, fresh_url, restored, monkeypatch, tmp_path
):
    exam = make_exam(rules=SINGLE_ONLY)
    candidates = []
    for _ in range(3):
        client = _candidate_client(app, make_user)
        attempt_id = client.post(f"/api/v1/exams/{exam.id}/attempts").get_json()["attempt_id"]
        paper = client.get(f"/api/v1/attempts/{attempt_id}").get_json()["paper"]["questions"]
        candidates.append((client, attempt_id, [q["question_id"] for q in paper]))

    acknowledged: list[tuple[float, int, int, int]] = []  # (time, attempt, question, seq)
    stop, errors = threading.Event(), []

    def sit(client, attempt_id, questions):
        seq = 0
        try:
            while not stop.is_set():
                seq += 1
                question = questions[seq % len(questions)]
                response = client.put(
                    f"/api/v1/attempts/{attempt_id}/answers/{question}",
                    json={"answer": "ABCD"[seq % 4], "seq": seq},
                )
                if response.status_code == 200 and response.get_json()["stored"]:
                    acknowledged.append((time.monotonic(), attempt_id, question, seq))
        except Exception as error:  # reported below: a thread's exception would vanish
            errors.append(error)

    def acks_since(moment: float) -> int:
        return sum(1 for ack in list(acknowledged) if ack[0] > moment)

    # Hold the backup a while (in its snapshot on PostgreSQL, after the copy on SQLite), so
    # that saves go on meanwhile.
    real_counts = dbcopy.row_counts
    monkeypatch.setattr(dbcopy, "row_counts", lambda conn: time.sleep(0.5) or real_counts(conn))
    threads = [threading.Thread(target=sit, args=candidate) for candidate in candidates]
    for thread in threads:
        thread.start()
    try:
        while acks_since(0) < 30 and not errors:
            time.sleep(0.02)
        archive = tmp_path / "during.tar"
        started = time.monotonic()
        made = runner.invoke(args=["backup", str(archive)])
        finished = time.monotonic()
        deadline = time.monotonic() + 10
        while acks_since(finished) < 10 and not errors and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert not errors, errors
    assert made.exit_code == 0, made.output
    during = sum(1 for ack in acknowledged if started < ack[0] < finished)
    assert during > 0  # the exam went on while the backup ran

    restored_app, restore = restored
    done = restore("restore", str(archive))
    assert done.exit_code == 0, done.output
    engine = create_engine(fresh_url)
    with engine.connect() as conn:
        saved = {
            (a, q): seq
            for a, q, seq in conn.execute(
                text("SELECT attempt_id, question_id, seq FROM attempt_answer")
            )
        }
        if engine.dialect.name == "sqlite":
            assert conn.execute(text("PRAGMA foreign_key_check")).all() == []
    engine.dispose()
    before = [ack for ack in acknowledged if ack[0] < started]
    assert before
    missing = [ack for ack in before if saved.get((ack[1], ack[2]), 0) < ack[3]]
    assert missing == []
    # Nothing in the copy that was never sent, and every answer's attempt is there.
    sent = {(a, q, s) for _t, a, q, s in acknowledged}
    assert all((a, q, s) in sent for (a, q), s in saved.items())
    assert {a for a, _q in saved} <= {c[1] for c in candidates}


def test_restore_names_the_upgrade_an_older_archive_needs_and_refuses_a_newer_one(app):
    migrations = Path(app.extensions["migrate"].directory)
    head = dbcopy.known_revision(migrations, None) or ""
    assert head and dbcopy.known_revision(migrations, head) is None
    assert dbcopy.known_revision(migrations, "0001") == head
    with pytest.raises(backup.BackupError, match="does not know"):
        dbcopy.known_revision(migrations, "9999_from_a_newer_anpei")

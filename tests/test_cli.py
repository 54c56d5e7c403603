"""The ``anpei`` command line (the installed console script), the schema check that commands
and the web app make before touching the database, and the demo: its logins printed again,
and the same district from the same seed."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import BASE_CONFIG
from flask.testing import FlaskCliRunner
from flask_migrate import downgrade, upgrade
from sqlalchemy import event

from exam import create_app
from exam.cli import main
from exam.core import schema
from exam.core.extensions import db

#: The console script pip installed beside this Python (pyproject's [project.scripts]).
ANPEI = str(Path(sys.executable).with_name("anpei"))


def anpei(*args: str, env: dict | None = None, timeout: int = 60) -> subprocess.CompletedProcess:
    """Run the installed ``anpei`` command with the test environment (no ANPEI_ settings but
    the instance folder) plus ``env``."""
    return subprocess.run(
        [ANPEI, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        check=False,
    )


def test_version_is_anpeis_own():
    result = anpei("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"Anpei {metadata.version('anpei')}"


def invoke(*args: str, env: dict | None = None):
    """Run the ``anpei`` entry point in this process, as the console script would."""
    (entry,) = metadata.entry_points(group="console_scripts", name="anpei")
    return CliRunner().invoke(entry.load(), args, env=env)


def test_help_offers_anpeis_commands_without_flasks_app_options():
    # A configuration that cannot build the app: the help is still the help, no traceback.
    result = invoke("--help", env={"ANPEI_ENV": "production"})
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    commands = result.stdout.split("Commands:")[1].split()
    for command in ("run", "shell", "db", "scheduler", "demo", "create-admin", "backup"):
        assert command in commands
    for flask_only in ("--app", "-A", "--env-file", "--debug", "python-dotenv"):
        assert flask_only not in result.stdout
    # --debug is the development server's, and only there.
    assert "--debug" in invoke("run", "--help").stdout


def test_a_configuration_error_is_one_line_not_a_traceback():
    result = invoke("create-admin", "zhang", env={"ANPEI_ENV": "production"})
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "Error: ANPEI_DATABASE_URL must be set when ANPEI_ENV=production"
    )


@pytest.fixture
def fresh_app(tmp_path):
    """The app on a database nobody has upgraded."""
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'f.db'}"})
    yield app
    with app.app_context():
        db.engine.dispose()


def _behind(app) -> None:
    """Upgrade, then step back one migration: the schema of the Anpei before this one."""
    with app.app_context():
        upgrade()
        downgrade(revision="-1")


SAYS = {
    "missing": "数据库尚未初始化：请运行 `anpei db upgrade`",
    "behind": "数据库结构不是最新的",
}


@pytest.mark.parametrize(
    ("command", "state"),
    [
        (["create-admin", "zhang"], "missing"),
        (["rebuild-hours"], "missing"),
        (["people", "export", "out.xlsx"], "missing"),
        (["backup", "out.tar"], "missing"),
        (["create-admin", "zhang"], "behind"),
    ],
)
def test_a_command_on_an_unupgraded_database_names_the_upgrade(fresh_app, command, state):
    if state == "behind":
        _behind(fresh_app)
    result = FlaskCliRunner(fresh_app).invoke(main, command)
    assert result.exit_code == 1
    assert SAYS[state] in result.output and "anpei db upgrade" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output


def test_commands_that_need_no_schema_still_run_on_a_fresh_database(fresh_app, tmp_path):
    runner = FlaskCliRunner(fresh_app)
    result = runner.invoke(main, ["backup", "--check", str(tmp_path / "none.tar")])
    assert "anpei db upgrade" not in result.output  # it checks an archive, not the database
    assert runner.invoke(main, ["db", "current"]).exit_code == 0


def test_the_scheduler_stops_with_the_hint_on_an_unupgraded_database(tmp_path):
    result = anpei("scheduler", env={"ANPEI_DATABASE_URL": f"sqlite:///{tmp_path / 's.db'}"})
    assert result.returncode == 1
    assert "anpei db upgrade" in result.stderr and "Traceback" not in result.stderr


def test_the_web_app_says_the_database_is_not_initialised_until_it_is(fresh_app, monkeypatch):
    client = fresh_app.test_client()
    page = client.get("/login")
    text = page.get_data(as_text=True)
    assert page.status_code == 503
    assert "数据库尚未就绪" in text and "anpei db upgrade" in text and "Traceback" not in text
    assert client.post("/login", data={"login": "x", "password": "y"}).status_code == 503
    api = client.get("/api/v1/me/exams")
    assert api.status_code == 503
    assert api.get_json()["error"]["code"] == "not_initialised"
    assert api.get_json()["error"]["reason"] == "missing"
    assert client.get("/static/app.css").status_code == 200  # the page keeps its styles

    _behind(fresh_app)
    assert client.get("/api/v1/me/exams").get_json()["error"]["reason"] == "behind"
    with fresh_app.app_context():
        upgrade()
    assert client.get("/login").status_code == 200

    # Ready once is ready for good: no more checks, not a query per request.
    def no_more_checks(*_args):
        raise AssertionError("the schema was checked again")

    monkeypatch.setattr(schema, "check", no_more_checks)
    statements = []
    with fresh_app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    assert client.get("/login").status_code == 200
    assert not any("alembic_version" in s for s in statements)


def test_the_schema_check_tells_the_three_states(app):
    directory = schema.migrations_directory(app)
    ready = schema.check(db.engine, directory)
    assert ready.ready and ready.reason is None
    heads = ready.heads
    assert schema.SchemaState((), heads, ready.known).reason == "missing"
    older = next(iter(ready.known - set(heads)))
    assert schema.SchemaState((older,), heads, ready.known).reason == "behind"
    assert schema.SchemaState(("ffff",), heads, ready.known).reason == "unknown"


# --- the demo -------------------------------------------------------------------------------


def _build_demo(instance: Path, hash_seed: str) -> subprocess.CompletedProcess:
    """``anpei demo --reset --seed 7 --no-serve`` in its own process and instance folder; the
    hash seed differs between processes, as between two runs, so that set order shows."""
    env = {"ANPEI_INSTANCE_PATH": str(instance), "PYTHONHASHSEED": hash_seed}
    # Cheap hashing, as in every test that is not about the key derivation.
    env["ANPEI_PASSWORD_METHOD"] = BASE_CONFIG["PASSWORD_METHOD"]
    return anpei("demo", "--reset", "--seed", "7", "--no-serve", env=env, timeout=600)


@pytest.fixture(scope="module")
def two_demos(tmp_path_factory):
    """Two demo builds from seed 7, in two processes at once (each a few seconds)."""
    instances = [tmp_path_factory.mktemp(f"demo-{n}") for n in (1, 2)]
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(_build_demo, instances, ["1", "2"]))
    for result in results:
        assert result.returncode == 0, result.stderr[-3000:]
    return list(zip(instances, results, strict=True))


#: What the same seed must give again: every table's size, the people, the attempts (paper,
#: answers, score) and the certificates (their numbers are secrets, new each time).
FINGERPRINT = {
    "people": "SELECT name, id_number, mobile, role, appointed_on FROM person ORDER BY id",
    "attempts": (
        "SELECT p.id_number, e.title, a.number, a.paper, a.score, a.passed FROM attempt a "
        'JOIN "user" u ON u.id = a.user_id JOIN person p ON p.id = u.person_id '
        "JOIN exam e ON e.id = a.exam_id ORDER BY a.id"
    ),
    "answers": "SELECT attempt_id, question_id, response FROM attempt_answer ORDER BY id",
    "certificates": (
        "SELECT id_number, holder_name, exam_title, score, issued_on, valid_until "
        "FROM certificate ORDER BY id"
    ),
}


def _fingerprint(instance: Path) -> dict:
    with sqlite3.connect(instance / "demo.sqlite") as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        found = {name: conn.execute(query).fetchall() for name, query in FINGERPRINT.items()}
        found["counts"] = {
            t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone() for t in tables
        }
    return found


def _login_rows(output: str) -> list[list[str]]:
    """The printed logins: role, login, password, note."""
    lines = output.split("Demo logins (this demo database only):\n")[1].splitlines()
    return [line.split(maxsplit=3) for line in lines if line.startswith("  ")]


def test_the_same_seed_builds_the_same_district(two_demos):
    (first, built), (second, again) = two_demos
    one, other = _fingerprint(first), _fingerprint(second)
    assert one["counts"] == other["counts"]
    assert len(one["certificates"]) > 10 and len(one["attempts"]) > 30
    for part in FINGERPRINT:
        assert one[part] == other[part], part
    assert "180 questions" in built.stdout and "专题考试（第二期）" in built.stdout
    # The same logins, but for the director's one-time password (a secret, new each time).
    rows, rows_again = _login_rows(built.stdout), _login_rows(again.stdout)
    assert [r[:2] + r[3:] for r in rows] == [r[:2] + r[3:] for r in rows_again]
    assert {"admin", "organiser", "organiser-hazchem", "contact"} <= {r[1] for r in rows}


def test_the_demo_prints_its_logins_again_without_rebuilding(two_demos):
    instance, built = two_demos[0]
    env = {"ANPEI_INSTANCE_PATH": str(instance)}
    logins = invoke("demo", "--logins", env=env)
    assert logins.exit_code == 0, logins.output
    assert _login_rows(logins.stdout) == _login_rows(built.stdout)  # one-time password too
    assert "anpei-demo-2026" in logins.stdout
    again = invoke("demo", "--no-serve", "--seed", "8", env=env)
    assert "existing demo database" in again.stdout
    assert "--seed 8 applies to a new demo: add --reset" in again.stdout
    assert _login_rows(again.stdout) == _login_rows(built.stdout)
    assert "questions" not in again.stdout  # not built again
    # The configured database is not the demo's: nothing was written there.
    configured = instance / "anpei.sqlite"
    assert not configured.exists() or "user" not in {
        r[0]
        for r in sqlite3.connect(configured).execute("SELECT name FROM sqlite_master").fetchall()
    }


def test_demo_logins_before_any_demo_says_how_to_build_it(tmp_path):
    result = invoke("demo", "--logins", env={"ANPEI_INSTANCE_PATH": str(tmp_path)})
    assert result.exit_code == 1
    assert "`anpei demo` builds it" in result.stderr

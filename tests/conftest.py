"""Fixtures: the app on SQLite (and on PostgreSQL when ANPEI_TEST_DATABASE_URL is set),
a client, a CLI runner, factories, ``login_as``, and a live server for the browser."""

from __future__ import annotations

import contextvars
import functools
import importlib.util
import itertools
import os
import shutil
import tempfile
import threading
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from flask import has_app_context
from flask.testing import FlaskClient
from sqlalchemy import bindparam, create_engine, event, text
from sqlalchemy.pool import NullPool

# Tests never read a developer's own configuration.
for _name in [
    n
    for n in os.environ
    if n.startswith("ANPEI_")
    and n not in ("ANPEI_TEST_DATABASE_URL", "ANPEI_REQUIRE_BROWSER", "ANPEI_TEST_FUZZ_EXAMPLES")
]:
    del os.environ[_name]
_INSTANCE = tempfile.mkdtemp(prefix="anpei-test-instance-")
os.environ["ANPEI_INSTANCE_PATH"] = _INSTANCE

from exam import create_app  # noqa: E402
from exam.auth.models import User, UserRole  # noqa: E402
from exam.auth.services import set_password  # noqa: E402
from exam.core.extensions import db  # noqa: E402
from exam.core.identifiers import example_credit_code, example_id_number  # noqa: E402
from exam.core.timeutil import utcnow  # noqa: E402
from exam.exams import services as exam_services  # noqa: E402
from exam.exams.models import Exam  # noqa: E402
from exam.people.models import Enterprise, Person, PersonRole, Sector, Town  # noqa: E402
from exam.people.services import add_person  # noqa: E402
from exam.questions import services as bank  # noqa: E402
from exam.questions.models import QuestionStatus, Topic  # noqa: E402
from question_bank.model import QuestionData  # noqa: E402

PG_URL = os.environ.get("ANPEI_TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])
PASSWORD = "Test-pass-2026"
#: A test of what only PostgreSQL has (advisory locks, server backends): it runs on the test
#: server, and is skipped, with the reason, where ANPEI_TEST_DATABASE_URL is not set.
postgresql_only = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)

BASE_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret",
    "PASSWORD_METHOD": "pbkdf2:sha256:1000",  # fast hashing: tests are not about the KDF
    "WTF_CSRF_ENABLED": False,
    "HEARTBEAT_SECONDS": 2,  # exam pages hear of extra time within seconds
}
MIGRATIONS = Path(__file__).parents[1] / "exam" / "migrations" / "versions"


def _share_url_builders() -> None:
    """Let every app the tests make share the URL builders of its routes.

    Each test makes a fresh app (isolation), and Werkzeug compiles two small Python
    functions per route from an AST when a rule is added: three quarters of
    ``create_app`` and, with one or two apps per test, several minutes of the suite. A
    builder depends only on its rule (the rule text, its parsed parts, its defaults and
    whether unknown values become a query string) and reads the converters from the rule
    it is bound to, so the function compiled for one app serves the same rule in the next.
    Test-only: production makes its app once per process. Werkzeug versions without the
    hook simply compile as before."""
    from werkzeug.routing.rules import Rule

    compile_builder = getattr(Rule, "_compile_builder", None)
    if compile_builder is None:
        return
    builders: dict = {}

    def shared_builder(self, append_unknown: bool = True):
        defaults = self.defaults or {}
        key = (
            self.rule,
            self.subdomain,
            self.host,
            tuple(self._trace),
            tuple(sorted((name, repr(value)) for name, value in defaults.items())),
            tuple((name, type(conv)) for name, conv in self._converters.items()),
            append_unknown,
        )
        try:
            return builders[key]
        except KeyError:
            builders[key] = built = compile_builder(self, append_unknown)
            return built

    Rule._compile_builder = shared_builder


_share_url_builders()


@functools.cache
def _migration(name: str):
    spec = importlib.util.spec_from_file_location(name, MIGRATIONS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _seed_sectors():
    return _migration("0001_initial_schema").SECTORS


def _upgrade(url: str) -> None:
    from flask_migrate import upgrade

    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        db.engine.dispose()


#: Commits on the test database do not wait for the disk (every later session of it): the
#: tests empty it anyway, and nothing they check outlives a crash of the test server. Where
#: the test user may not change the database's settings, commits simply wait as before.
_NO_WAIT_FOR_DISK = """
DO $$ BEGIN
  EXECUTE format('ALTER DATABASE %I SET synchronous_commit = off', current_database());
EXCEPTION WHEN insufficient_privilege THEN NULL;
END $$
"""


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request, tmp_path_factory):
    """A migrated database per backend: a template file for SQLite, the test server for PostgreSQL."""
    if request.param == "sqlite":
        template = tmp_path_factory.mktemp("db") / "template.sqlite"
        _upgrade(f"sqlite:///{template}")
        yield {"name": "sqlite", "template": template}
        return
    if not PG_URL:
        pytest.skip("PostgreSQL only: set ANPEI_TEST_DATABASE_URL to run it")
    engine = create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        conn.execute(text(_NO_WAIT_FOR_DISK))
    engine.dispose()
    _upgrade(PG_URL)
    yield {"name": "postgresql", "url": PG_URL}


#: The tables a test wrote to and the sequences it drew from; only these need resetting.
_DIRTY_TABLES = """
SELECT string_agg(format('SELECT %L WHERE EXISTS (SELECT 1 FROM %I)', tablename, tablename),
                  ' UNION ALL ')
FROM pg_tables WHERE schemaname = 'public' AND tablename != 'alembic_version'
"""
_USED_SEQUENCES = """
SELECT format('%I.%I', schemaname, sequencename) FROM pg_sequences
WHERE schemaname = 'public' AND last_value IS NOT NULL
"""


@functools.cache
def _reset_engine(url: str):
    # No pool: a test may end the server's connections (tests/test_db_faults.py).
    return create_engine(url, poolclass=NullPool)


def _reset_postgres(url: str) -> None:
    """Empty every table, restart every sequence and seed the rows the migrations seed, as
    a fresh migrated database has them. Only what the test touched is reset: a DELETE of
    each of the few tables that hold rows, with the foreign-key triggers off as they all go
    (the test server's ``postgres`` is a superuser), instead of a TRUNCATE of every table,
    which makes new files for each table and index and took over a second per test."""
    with _reset_engine(url).begin() as conn:
        dirty = [row[0] for row in conn.execute(text(conn.execute(text(_DIRTY_TABLES)).scalar()))]
        if conn.execute(text("SHOW is_superuser")).scalar() == "on":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            for table in dirty:
                conn.execute(text(f'DELETE FROM "{table}"'))
            conn.execute(text("SET LOCAL session_replication_role = origin"))
        elif dirty:  # triggers stay on for others: TRUNCATE, with what refers to the tables
            tables = ", ".join(f'"{table}"' for table in dirty)
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        for sequence in conn.execute(text(_USED_SEQUENCES)).scalars().all():
            conn.execute(text(f"ALTER SEQUENCE {sequence} RESTART"))
        conn.execute(
            text(
                "INSERT INTO sector (code, name, name_en, high_risk, sort_order) "
                "VALUES (:c, :n, :e, :h, :o)"
            ),
            [
                {"c": code, "n": name, "e": name_en, "h": high_risk, "o": order * 10}
                for order, (code, name, name_en, high_risk) in enumerate(_seed_sectors(), start=1)
            ],
        )
        conn.execute(
            text(
                "UPDATE sector SET requires_safety_director = true WHERE code IN :codes"
            ).bindparams(bindparam("codes", expanding=True)),
            {"codes": list(_migration("0018_safety_director").SECTORS)},
        )
        conn.execute(
            text("INSERT INTO topic (level, code, name, sort_order) VALUES ('area', :c, :n, :o)"),
            [
                {"c": f"G{order}", "n": name, "o": order * 10}
                for order, name in enumerate(_migration("0003_question_bank").EIGHT_GRIPS, start=1)
            ],
        )


@pytest.fixture
def database_url(backend, tmp_path):
    if backend["name"] == "sqlite":
        path = tmp_path / "test.sqlite"
        shutil.copy(backend["template"], path)
        yield f"sqlite:///{path}"
    else:
        yield backend["url"]
        _reset_postgres(backend["url"])


class IsolatedClient(FlaskClient):
    """Runs each request in a context of its own, as a real worker would: its own app
    context, database session and ``g``. The test's session then forgets what it had
    loaded, so assertions read what the request committed."""

    def open(self, *args, **kwargs):
        response = contextvars.Context().run(super().open, *args, **kwargs)
        if has_app_context():  # not in a test's worker threads
            db.session.expire_all()
        return response


@pytest.fixture
def app(database_url, tmp_path):
    app = create_app(
        {
            **BASE_CONFIG,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "LEARNING_STORAGE": str(tmp_path / "learning"),
            "PAGE_CACHE_DIR": str(tmp_path / "pages"),
        }
    )
    app.test_client_class = IsolatedClient
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    """The ``anpei`` command line (exam.cli.main) bound to the test app."""
    from flask.testing import FlaskCliRunner

    from exam.cli import main

    class AnpeiCliRunner(FlaskCliRunner):
        def invoke(self, cli=None, args=None, **kwargs):
            return super().invoke(cli or main, args, **kwargs)

    return AnpeiCliRunner(app)


_serial = itertools.count(1)


def valid_id_number(serial: int | None = None, born: str = "19800101") -> str:
    return example_id_number(serial or next(_serial), born)


def valid_credit_code(serial: int | None = None) -> str:
    return example_credit_code(serial or next(_serial))


@pytest.fixture
def make_town(app):
    def make(name: str | None = None) -> Town:
        town = Town(name=name or f"测试镇{next(_serial)}")
        db.session.add(town)
        db.session.commit()
        return town

    return make


@pytest.fixture
def make_enterprise(app, make_town):
    def make(
        name: str | None = None,
        sectors=("hazardous_chemicals",),
        town: Town | None = None,
        **fields,
    ) -> Enterprise:
        chosen = db.session.scalars(db.select(Sector).where(Sector.code.in_(sectors))).all()
        enterprise = Enterprise(
            name=name or f"测试企业{next(_serial)}有限公司",
            credit_code=fields.pop("credit_code", None) or valid_credit_code(),
            town=town or make_town(),
            sectors=list(chosen),
            **fields,
        )
        db.session.add(enterprise)
        db.session.commit()
        return enterprise

    return make


@pytest.fixture
def make_person(app, make_enterprise):
    def make(
        name: str = "张伟",
        role: str = PersonRole.PRINCIPAL_LEADER,
        enterprise: Enterprise | None = None,
        **fields,
    ) -> Person:
        values = {
            "name": name,
            "role": role,
            "id_number": fields.pop("id_number", None) or valid_id_number(),
            "mobile": fields.pop("mobile", None) or f"139{next(_serial):08d}",
            **fields,
        }
        person, _password = add_person(values, enterprise or make_enterprise())
        db.session.commit()
        return person

    return make


@pytest.fixture
def make_user(app, make_person, make_enterprise):
    """Make an account with the known test password (not forced to change it)."""

    def make(role: str = UserRole.ADMIN, username: str | None = None, **fields) -> User:
        if role == UserRole.CANDIDATE:
            person = fields.pop("person", None) or make_person()
            user = db.session.scalar(db.select(User).where(User.person_id == person.id))
        else:
            if role == UserRole.CONTACT and "enterprise" not in fields:
                fields["enterprise"] = make_enterprise()
            user = User(
                username=username or f"{role}{next(_serial)}",
                role=role,
                display_name=f"{role} user",
                **fields,
            )
            db.session.add(user)
        set_password(user, PASSWORD)
        db.session.commit()
        return user

    return make


@pytest.fixture
def login_as(client, make_user):
    """Log the test client in as a new user of ``role``; returns the user."""

    def login(role: str = UserRole.ADMIN, **fields) -> User:
        user = make_user(role, **fields)
        response = client.post("/login", data={"login": user.username, "password": PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)
        return user

    return login


# --- exams -----------------------------------------------------------------------------

KINDS = {
    "single": ("甲", "乙", "丙", "丁"),
    "multiple": ("甲", "乙", "丙", "丁"),
    "truefalse": (),
    "fill": (),
}
ANSWERS = {
    "single": "C",
    "multiple": "ABD",
    "truefalse": False,
    "fill": [["安全第一", "安全 第一"]],
}


@pytest.fixture
def active_bank(app, make_user):
    author = make_user(UserRole.ORGANISER)
    topic = db.session.scalar(db.select(Topic).where(Topic.code == "G1"))
    for kind, n in (("single", 8), ("multiple", 3), ("truefalse", 4), ("fill", 2)):
        for i in range(n):
            question = bank.create_question(
                QuestionData(
                    kind=kind,
                    stem=f"{kind} 第{i}题",
                    options=KINDS[kind],
                    answer=ANSWERS[kind],
                    explanation="秘密解析",
                ),
                [topic],
                [],
                author,
            )
            question.status = QuestionStatus.ACTIVE
    db.session.commit()


@pytest.fixture
def make_exam(app, active_bank):
    def make(rules=None, opens=-1, closes=2, duration=60, **fields):
        now = utcnow()
        rules = rules or [
            {"count": 5, "kind": "single", "points": 10},
            {"count": 2, "kind": "multiple", "points": 10},
            {"count": 2, "kind": "truefalse", "points": 10},
            {"count": 1, "kind": "fill", "points": 10},
        ]
        blueprint = {"rules": rules}
        total = sum(rule["count"] * rule["points"] for rule in rules)
        if total != 100:  # a small test paper: its organiser confirms the total, passes at 80 %
            blueprint["confirmed_total"] = total
            fields.setdefault("pass_mark", 0.8 * total)
        exam = Exam(
            title="八抓20项专题考试",
            blueprint=blueprint,
            opens_at=now + timedelta(hours=opens),
            closes_at=now + timedelta(hours=closes),
            duration_minutes=duration,
            **fields,
        )
        db.session.add(exam)
        assert exam_services.publish(exam, now) == []
        db.session.commit()
        return exam

    return make


# --- the browser -----------------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(__file__).parents[1] / "test-artifacts"


def _browser_missing(reason: str):
    if os.environ.get("ANPEI_REQUIRE_BROWSER") == "1":
        pytest.fail(f"browser required (ANPEI_REQUIRE_BROWSER=1) but {reason}")
    pytest.skip(reason)


def require_tool(name: str, package: str) -> str:
    """The path of a command-line tool the test reads PDFs or QR codes with. Where it is
    missing the test is skipped, except in CI (ANPEI_REQUIRE_BROWSER=1), which installs it:
    there a missing tool fails the run rather than hiding the check."""
    path = shutil.which(name)
    if path is None:
        _browser_missing(f"{name} is not installed (apt-get install {package})")
    return path


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium driven by Playwright; skipped (with the reason) where it is missing.
    Tests use ``browser``, which watches the pages they open."""
    if not os.path.exists(CHROMIUM):
        _browser_missing(f"{CHROMIUM} is not installed (apt-get install chromium)")
    import subprocess

    fonts = subprocess.run(
        ["fc-list", ":lang=zh"], capture_output=True, text=True, check=False
    ).stdout
    if not fonts.strip():
        _browser_missing("no CJK font is installed (apt-get install fonts-wqy-microhei)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _browser_missing("playwright is not installed (pip install '.[test]')")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def console_guard():
    """What goes wrong in the pages a test opens (see ``browser``); ``console_guard.allow(
    pattern)`` expects an error the test provokes on purpose."""
    from playwright_helpers import ConsoleGuard

    return ConsoleGuard()


@pytest.fixture
def browser(chromium, console_guard):
    """The browser for one test: a console error, an uncaught error or a Content-Security-
    Policy violation on any page it opens fails the test at teardown, unless the test
    allowed it (``console_guard.allow``). The contexts it opened are closed then."""
    from playwright_helpers import GuardedBrowser

    guarded = GuardedBrowser(chromium, console_guard)
    yield guarded
    guarded.close_contexts()
    unexpected = console_guard.unexpected()
    if unexpected:
        pytest.fail(
            "the pages reported errors:\n" + "\n".join(f"  {text}" for text in unexpected),
            pytrace=False,
        )


@pytest.fixture
def live_config():
    """Settings for the served app; a test module overrides this fixture to change them."""
    return {}


@pytest.fixture
def live_server(app, database_url, live_config):
    """The app served over HTTP on a free port, with CSRF on, as in production."""
    from werkzeug.serving import make_server

    served = create_app(
        {
            **BASE_CONFIG,
            "WTF_CSRF_ENABLED": True,
            "TESTING": False,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "LEARNING_STORAGE": app.config["LEARNING_STORAGE"],
            "PAGE_CACHE_DIR": app.config["PAGE_CACHE_DIR"],
            **live_config,
        }
    )
    server = make_server("127.0.0.1", 0, served, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()
    with served.app_context():
        db.engine.dispose()


@pytest.fixture
def screenshot():
    """Save a full-page screenshot under test-artifacts/ for a person to look at."""

    def take(page, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@contextmanager
def statements_run():
    """The SQL statements the application's engine runs meanwhile, as a list."""
    seen: list[str] = []

    def collect(conn, cursor, statement, *_args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", collect)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", collect)

"""Configuration, languages, error pages, security headers and the schema."""

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from exam import create_app
from exam.auth.models import UserRole
from exam.core.config import ConfigError, load_config
from exam.core.extensions import db

ROOT = Path(__file__).parents[1]
CATALOGUE = ROOT / "exam" / "translations" / "zh" / "LC_MESSAGES"


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    with pytest.raises(ConfigError, match="ANPEI_SECRET_KEY"):
        load_config(
            str(tmp_path),
            {"ANPEI_ENV": "production", "ANPEI_DATABASE_URL": "postgresql+psycopg://x/y"},
        )
    with pytest.raises(ConfigError, match="ANPEI_DATABASE_URL"):
        load_config(str(tmp_path), {"ANPEI_ENV": "production", "ANPEI_SECRET_KEY": "s"})


def test_local_secret_key_is_generated_once_and_kept(tmp_path):
    first = load_config(str(tmp_path), {})["SECRET_KEY"]
    assert len(first) == 64 and load_config(str(tmp_path), {})["SECRET_KEY"] == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0  # readable by the owner only


def test_environment_settings_are_read_with_the_prefix(tmp_path):
    config = load_config(
        str(tmp_path),
        {
            "ANPEI_DATABASE_URL": "sqlite:///x.db",
            "ANPEI_SESSION_COOKIE_SECURE": "1",
            "ANPEI_MAX_UPLOAD_MB": "3",
            "ANPEI_TIMEZONE": "UTC",
        },
    )
    assert config["SQLALCHEMY_DATABASE_URI"] == "sqlite:///x.db"
    assert config["SESSION_COOKIE_SECURE"] is True and config["REMEMBER_COOKIE_SECURE"] is True
    assert config["MAX_UPLOAD_MB"] == 3 and config["DISPLAY_TIMEZONE"] == "UTC"
    assert (
        config["SQLALCHEMY_DATABASE_URI"]
        != load_config(str(tmp_path), {})["SQLALCHEMY_DATABASE_URI"]
    )
    with pytest.raises(ConfigError, match="whole number"):
        load_config(str(tmp_path), {"ANPEI_MAX_UPLOAD_MB": "ten"})


def test_every_message_is_translated_and_the_compiled_catalogue_is_current():
    with open(CATALOGUE / "messages.po", "rb") as fh:
        catalogue = read_po(fh)
    with open(CATALOGUE / "messages.mo", "rb") as fh:
        compiled = read_mo(fh)
    method_map = [
        ("exam/**.py", "python"),
        ("question_bank/**.py", "python"),
        ("exam/templates/**.html", "jinja2"),
    ]
    keywords = {
        "_": None,
        "_l": None,
        "N_": None,
        "gettext": None,
        "lazy_gettext": None,
        "ngettext": (1, 2),
    }
    used = {
        msg for _f, _l, msg, _c, _x in extract_from_dir(str(ROOT), method_map, keywords=keywords)
    }
    used = {m[0] if isinstance(m, tuple) else m for m in used}
    missing = sorted(m for m in used if not (catalogue.get(m) and catalogue.get(m).string))
    assert not missing, f"untranslated messages (run pybabel extract/update): {missing[:10]}"
    stale = sorted(
        m.id
        for m in catalogue
        if m.id
        and m.string
        != (compiled.get(m.id, m.context).string if compiled.get(m.id, m.context) else None)
    )
    assert not stale, f"messages.mo is older than messages.po (run pybabel compile): {stale[:5]}"


def test_language_switch_is_kept_per_user(client, login_as):
    login_as(UserRole.ADMIN)
    assert "操作日志" in client.get("/").get_data(as_text=True)
    response = client.post("/language/en", data={"next": "/people"})
    assert response.headers["Location"] == "/people"
    assert "Audit log" in client.get("/").get_data(as_text=True)
    client.post("/logout")
    assert "Log in" in client.get("/login").get_data(as_text=True)  # the session remembers it too


def test_language_switch_refuses_external_next(client):
    assert (
        client.post("/language/en", data={"next": "https://evil.example/"}).headers["Location"]
        == "/"
    )


def test_unexpected_error_shows_a_page_without_a_stack_trace(app, client, login_as):
    @app.route("/boom")
    def boom():
        raise RuntimeError("secret internals")

    app.testing = False  # let the error handler run as in production
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get("/boom")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "secret internals" not in page and "Traceback" not in page
    assert "出错" in page or "错误" in page


def test_missing_page_is_a_friendly_404(client, login_as):
    login_as(UserRole.ADMIN)
    response = client.get("/people/999999")
    assert response.status_code == 404 and "不存在" in response.get_data(as_text=True)


def test_security_headers_and_no_cdn(client):
    response = client.get("/login")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    page = response.get_data(as_text=True)
    assert "cdn" not in page.lower() and "https://" not in page
    assert client.get("/bootstrap/static/css/bootstrap.min.css").status_code == 200


def test_migrations_match_the_models(app):
    """`anpei db upgrade` builds exactly the schema the models describe."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), db.metadata)
    assert diff == []


def test_create_admin_prints_a_one_time_password(runner):
    from exam.auth.models import User

    result = runner.invoke(args=["create-admin", "zhangsan", "--name", "张三"])
    assert result.exit_code == 0 and "One-time password" in result.output
    user = db.session.scalar(db.select(User).where(User.username == "zhangsan"))
    assert user.role == UserRole.ADMIN and user.must_change_password
    assert runner.invoke(args=["create-admin", "zhangsan"]).exit_code != 0


def test_fresh_database_has_no_accounts(app):
    from exam.auth.models import User

    assert db.session.scalar(db.select(db.func.count(User.id))) == 0  # no default credentials


def test_demo_builds_a_believable_district(tmp_path, monkeypatch):
    import random

    from flask_migrate import upgrade

    from exam.core.identifiers import validate_credit_code, validate_id_number
    from exam.demo.data import build_demo
    from exam.people.models import Enterprise, Person, PersonRole, Town

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'demo.sqlite'}",
            "PASSWORD_METHOD": "pbkdf2:sha256:1000",
            "SECRET_KEY": "x",
        }
    )
    with app.app_context():
        upgrade()
        logins = build_demo(random.Random(1))
        db.session.commit()
        enterprises = db.session.scalars(db.select(Enterprise)).all()
        people = db.session.scalars(db.select(Person)).all()
        assert len(enterprises) >= 30 and len(people) >= 80
        assert len({s.code for e in enterprises for s in e.sectors}) >= 5
        assert db.session.scalar(db.select(db.func.count(Town.id))) >= 4
        assert {p.role for p in people} == set(PersonRole.ALL)
        assert all(validate_credit_code(e.credit_code) == e.credit_code for e in enterprises)
        assert all(validate_id_number(p.id_number) == p.id_number for p in people)
        assert {row[1] for row in logins.rows} >= {
            "admin",
            "organiser",
            "organiser-hazchem",
            "contact",
        }
        db.engine.dispose()


def test_login_page_shows_the_demo_hint_only_in_the_demo(app, client):
    assert "demo-hint" not in client.get("/login").get_data(as_text=True)
    app.config["DEMO"] = True
    assert "demo-hint" in client.get("/login").get_data(as_text=True)

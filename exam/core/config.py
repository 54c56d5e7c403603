"""Configuration read from ``ANPEI_*`` environment variables.

Every setting a deployment may change is listed in ``SETTINGS`` with its
environment variable, so the README and ``anpei config`` can show them all.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

#: Pooled database connections older than this are replaced rather than reused (instead of a
#: pre-ping on every checkout; exam/core/database.py retries a request meeting a dropped one).
POOL_RECYCLE_SECONDS = 300


class ConfigError(RuntimeError):
    """The environment does not describe a usable configuration."""


@dataclass(frozen=True)
class Setting:
    env: str
    key: str
    default: object
    kind: type
    help: str


SETTINGS = [
    Setting(
        "ANPEI_ENV",
        "ANPEI_ENV",
        "development",
        str,
        "'production' refuses to start without ANPEI_SECRET_KEY and ANPEI_DATABASE_URL",
    ),
    Setting(
        "ANPEI_DATABASE_URL",
        "SQLALCHEMY_DATABASE_URI",
        None,
        str,
        "SQLAlchemy URL; default: SQLite file instance/anpei.sqlite; "
        "production: postgresql+psycopg://user:pass@host/db",
    ),
    Setting(
        "ANPEI_SECRET_KEY",
        "SECRET_KEY",
        None,
        str,
        "signs sessions and CSRF tokens; default (not in production): generated once "
        "into instance/secret_key",
    ),
    Setting(
        "ANPEI_TIMEZONE",
        "DISPLAY_TIMEZONE",
        "Asia/Shanghai",
        str,
        "time zone used to display times (stored in UTC)",
    ),
    Setting(
        "ANPEI_DEFAULT_LOCALE",
        "BABEL_DEFAULT_LOCALE",
        "zh_CN",
        str,
        "language of the interface until a user chooses (zh_CN or en)",
    ),
    Setting(
        "ANPEI_SESSION_COOKIE_SECURE",
        "SESSION_COOKIE_SECURE",
        None,
        bool,
        "send the session cookie only over HTTPS; default: on when ANPEI_ENV=production "
        "(set to 0 only for a plain-HTTP test set-up), off otherwise",
    ),
    Setting(
        "ANPEI_SESSION_DAYS",
        "SESSION_DAYS",
        14,
        int,
        "days a login lasts at most (logging out, a password change or an administrator's "
        "'sign out everywhere' end it sooner)",
    ),
    Setting(
        "ANPEI_PROXY_COUNT",
        "PROXY_COUNT",
        0,
        int,
        "number of trusted reverse proxies in front of the app (X-Forwarded-For hops)",
    ),
    Setting(
        "ANPEI_MAX_UPLOAD_MB",
        "MAX_UPLOAD_MB",
        10,
        int,
        "largest file accepted by an upload, in megabytes",
    ),
    Setting(
        "ANPEI_LOGIN_MAX_FAILURES",
        "LOGIN_MAX_FAILURES",
        5,
        int,
        "failed logins per account within the window before it is locked",
    ),
    Setting(
        "ANPEI_LOGIN_MAX_FAILURES_PER_ADDRESS",
        "LOGIN_MAX_FAILURES_PER_ADDRESS",
        20,
        int,
        "failed logins per client address within the window before it is refused, plus one "
        "for each account that signed in from it in the window",
    ),
    Setting(
        "ANPEI_LOGIN_WINDOW_MINUTES",
        "LOGIN_WINDOW_MINUTES",
        15,
        int,
        "length of the login throttling window, in minutes",
    ),
    Setting(
        "ANPEI_PASSWORD_METHOD",
        "PASSWORD_METHOD",
        # OWASP's scrypt minimum (N=2^17, r=8, p=1) in its 16 MiB form: the same work as
        # N=2^14 with p=5, and cheaper here than the forms with more memory (figures:
        # benchmarks/login_cost.py, benchmarks/RESULTS.md "Login cost").
        "scrypt:16384:8:5",
        str,
        "werkzeug password hashing method (OWASP's scrypt minimum by default)",
    ),
    Setting(
        "ANPEI_PASSWORD_CHECKS",
        "PASSWORD_CHECKS",
        0,
        int,
        "password checks one host runs at once, all its processes together (each takes a core "
        "for about 0.2 s); 0: one per core. Further logins wait their turn",
    ),
    Setting(
        "ANPEI_PASSWORD_WAIT_SECONDS",
        "PASSWORD_WAIT_SECONDS",
        3.0,
        float,
        "seconds a login waits for its turn before it is answered 'busy, try again' (503 with "
        "Retry-After) instead of queueing until the browser gives up",
    ),
    Setting(
        "ANPEI_PAGE_CACHE_SECONDS",
        "PAGE_CACHE_SECONDS",
        30,
        int,
        "while an exam sits (from half an hour before it opens), a report page is computed at "
        "most once in this many seconds per user and address (0: always computed)",
    ),
    Setting(
        "ANPEI_PAGE_CACHE_DIR",
        "PAGE_CACHE_DIR",
        "",
        str,
        "folder the kept report pages live in (default: <instance>/cache/pages; one per host)",
    ),
    Setting(
        "ANPEI_QUESTION_REVIEW",
        "QUESTION_REVIEW",
        True,
        bool,
        "questions need a second person's review before they go live (0 switches it off)",
    ),
    Setting(
        "ANPEI_ANSWER_GRACE_SECONDS",
        "ANSWER_GRACE_SECONDS",
        60,
        int,
        "answers arriving this long after an attempt's deadline are still accepted",
    ),
    Setting(
        "ANPEI_HEARTBEAT_SECONDS",
        "HEARTBEAT_SECONDS",
        20,
        int,
        "how often an exam page reports to the server (last contact; picks up extra time)",
    ),
    Setting(
        "ANPEI_BUREAU_NAME",
        "BUREAU_NAME",
        "区应急管理局",
        str,
        "the issuing authority printed on certificates and admission notices",
    ),
    Setting(
        "ANPEI_CERTIFICATE_YEARS",
        "CERTIFICATE_YEARS",
        3,
        int,
        "how many years a certificate is valid",
    ),
    Setting(
        "ANPEI_CERTIFICATE_NOTICE_DAYS",
        "CERTIFICATE_NOTICE_DAYS",
        60,
        int,
        "certificates expiring within this many days are listed for renewal",
    ),
    Setting(
        "ANPEI_CERTIFICATE_FONT",
        "CERTIFICATE_FONT",
        "",
        str,
        "a TrueType (.ttf/.ttc) Chinese font for PDFs; default: the system's (fontconfig), else "
        "WenQuanYi Micro Hei, installed with Anpei",
    ),
    Setting(
        "ANPEI_VERIFY_PER_MINUTE",
        "VERIFY_PER_MINUTE",
        20,
        int,
        "certificate lookups one address may make per minute on the public page",
    ),
    Setting(
        "ANPEI_HOURS_INITIAL_HIGH_RISK",
        "HOURS_INITIAL_HIGH_RISK",
        48,
        int,
        "initial training hours for leaders and safety managers in high-risk sectors",
    ),
    Setting(
        "ANPEI_HOURS_INITIAL_GENERAL",
        "HOURS_INITIAL_GENERAL",
        32,
        int,
        "initial training hours for leaders and safety managers in other sectors",
    ),
    Setting(
        "ANPEI_INITIAL_TRAINING_MONTHS",
        "INITIAL_TRAINING_MONTHS",
        6,
        int,
        "months after taking a post within which the initial training is due (then yearly retraining)",
    ),
    Setting(
        "ANPEI_HOURS_ANNUAL_HIGH_RISK",
        "HOURS_ANNUAL_HIGH_RISK",
        16,
        int,
        "yearly retraining hours in high-risk sectors",
    ),
    Setting(
        "ANPEI_HOURS_ANNUAL_GENERAL",
        "HOURS_ANNUAL_GENERAL",
        12,
        int,
        "yearly retraining hours in other sectors",
    ),
    Setting(
        "ANPEI_SAFETY_DIRECTOR_EMPLOYEES",
        "SAFETY_DIRECTOR_EMPLOYEES",
        300,
        int,
        "an enterprise with this many employees or more must have a safety director",
    ),
    Setting(
        "ANPEI_EXTERNAL_HOURS",
        "EXTERNAL_HOURS",
        True,
        bool,
        "count hours from outside training that organisers enter with evidence (0: do not)",
    ),
    Setting(
        "ANPEI_ONLINE_MINUTES_PER_HOUR",
        "ONLINE_MINUTES_PER_HOUR",
        45,
        int,
        "minutes of tracked online study that make one training hour (学时)",
    ),
    Setting(
        "ANPEI_ONLINE_DAILY_CAP_HOURS",
        "ONLINE_DAILY_CAP_HOURS",
        4,
        int,
        "most training hours online study may credit a person in one day",
    ),
    Setting(
        "ANPEI_LESSON_COMPLETE_PERCENT",
        "LESSON_COMPLETE_PERCENT",
        90,
        int,
        "a lesson is complete once this share of its study time (and of a video) is done",
    ),
    Setting(
        "ANPEI_STUDY_BEAT_SECONDS",
        "STUDY_BEAT_SECONDS",
        15,
        int,
        "how often a lesson page reports study time while it is visible",
    ),
    Setting(
        "ANPEI_STUDY_IDLE_SECONDS",
        "STUDY_IDLE_SECONDS",
        300,
        int,
        "a text or PDF lesson nobody has scrolled or touched for this long stops counting study time",
    ),
    Setting(
        "ANPEI_LEARNING_STORAGE",
        "LEARNING_STORAGE",
        "",
        str,
        "folder for lesson files (PDF, video), outside the web root; default: instance/learning; "
        "shared storage when several app hosts serve the site",
    ),
    Setting(
        "ANPEI_LEARNING_ACCEL_PREFIX",
        "LEARNING_ACCEL_PREFIX",
        "",
        str,
        "behind nginx: an internal location serving ANPEI_LEARNING_STORAGE (e.g. /lesson-files/); "
        "lesson files are then sent by nginx (X-Accel-Redirect), not by a web worker",
    ),
    Setting(
        "ANPEI_LESSON_MAX_MB",
        "LESSON_MAX_MB",
        300,
        int,
        "largest lesson file (PDF or video) an organiser may upload, in megabytes",
    ),
    Setting(
        "ANPEI_DB_PRE_PING",
        "DB_PRE_PING",
        False,
        bool,
        "test every pooled connection before use (one more round trip per request); off, "
        "connections are recycled after 5 minutes and a request meeting a dropped one is "
        "run again once",
    ),
    Setting(
        "ANPEI_DB_TRANSACTION_POOLER",
        "DB_TRANSACTION_POOLER",
        False,
        bool,
        "ANPEI_DATABASE_URL names a pooler in transaction mode (PgBouncer): no server-side "
        "prepared statements and no session settings; the scheduler then refuses to start "
        "(its lock needs a direct connection: give it PostgreSQL's own address)",
    ),
    Setting(
        "ANPEI_REPORTS_DATABASE_URL",
        "REPORTS_DATABASE_URL",
        "",
        str,
        "optional: a PostgreSQL streaming replica the report pages read from (their GETs, in "
        "read-only transactions), so the bureau's reports do not compete with candidates",
    ),
    Setting(
        "ANPEI_SQLITE_BUSY_TIMEOUT",
        "SQLITE_BUSY_TIMEOUT",
        30,
        int,
        "SQLite only: seconds a save waits for another writer before answering 503 "
        "(benchmarks/RESULTS.md, SQLite locking)",
    ),
    Setting(
        "ANPEI_SITE_URL",
        "SITE_URL",
        "",
        str,
        "public address of the site, shown on notices (e.g. https://anpei.example.gov.cn)",
    ),
]


def _parse(setting: Setting, raw: str):
    if setting.kind is bool:
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if setting.kind is int:
        try:
            return int(raw)
        except ValueError as exc:
            raise ConfigError(f"{setting.env} must be a whole number, not {raw!r}") from exc
    return raw


def load_config(instance_path: str, environ=None) -> dict:
    """Build the Flask config mapping from the environment and the instance folder."""
    environ = os.environ if environ is None else environ
    config: dict = {}
    for setting in SETTINGS:
        raw = environ.get(setting.env)
        config[setting.key] = setting.default if raw in (None, "") else _parse(setting, raw)

    production = config["ANPEI_ENV"] == "production"
    instance = Path(instance_path)
    if not config["SQLALCHEMY_DATABASE_URI"]:
        if production:
            raise ConfigError("ANPEI_DATABASE_URL must be set when ANPEI_ENV=production")
        config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'anpei.sqlite'}"
    if not config["SECRET_KEY"]:
        if production:
            raise ConfigError("ANPEI_SECRET_KEY must be set when ANPEI_ENV=production")
        config["SECRET_KEY"] = local_secret_key(instance)
    if config["SESSION_COOKIE_SECURE"] is None:
        config["SESSION_COOKIE_SECURE"] = production
    if not config["LEARNING_STORAGE"]:
        config["LEARNING_STORAGE"] = str(instance / "learning")

    config.update(
        MAX_CONTENT_LENGTH=config["MAX_UPLOAD_MB"] * 1024 * 1024 + 64 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=config["SESSION_COOKIE_SECURE"],
        BOOTSTRAP_SERVE_LOCAL=True,
        DEMO=False,  # set only by `anpei demo`, for its own database
        BABEL_DEFAULT_TIMEZONE="UTC",
        # Tokens outlive the longest exam (10 hours): a save must never fail for an old token.
        WTF_CSRF_TIME_LIMIT=24 * 3600,
        SQLALCHEMY_ENGINE_OPTIONS={
            "pool_pre_ping": config["DB_PRE_PING"],
            "pool_recycle": POOL_RECYCLE_SECONDS,
        },
    )
    return config


def local_secret_key(instance: Path) -> str:
    """Return the instance folder's secret key, creating it on first use."""
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another worker won the race: use its key
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key

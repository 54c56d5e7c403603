"""The ``anpei`` command: Anpei's own commands, with Flask's ``run``, ``shell`` and ``routes``,
Flask-Migrate's ``db`` and flask-smorest's ``openapi``.

The web app never imports this module; the scheduler adds ``anpei scheduler`` through the
``flask.commands`` entry point (pyproject.toml), so neither package imports the other's code
for the command line to hold both."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from click.core import ParameterSource
from flask import current_app
from flask.cli import routes_command, run_command, shell_command, with_appcontext
from flask_migrate import upgrade
from flask_migrate.cli import db as db_group
from flask_smorest.spec import openapi_cli
from sqlalchemy import select

from exam import create_app
from exam.core.commands import AnpeiGroup, require_schema, with_database
from exam.core.extensions import db


@click.group(cls=AnpeiGroup, create_app=create_app)
@click.version_option(package_name="anpei", prog_name="Anpei", message="%(prog)s %(version)s")
def main():
    """Anpei (安培): safety-production training and examination platform."""


@click.command("create-admin")
@click.argument("username")
@click.option("--name", "display_name", default="", help="Name shown in the interface.")
@with_database
def create_admin(username: str, display_name: str):
    """Create a bureau administrator and print a one-time password."""
    from exam.audit.services import record
    from exam.auth.models import User, UserRole
    from exam.auth.services import create_account

    if db.session.scalar(select(User).where(User.username == username.lower())):
        raise click.ClickException(f"an account named {username!r} already exists")
    user, password = create_account(username, UserRole.ADMIN, display_name or username)
    record("account.create", user, f"{username} (admin, by anpei create-admin)")
    db.session.commit()
    click.echo(f"Administrator {username!r} created. One-time password: {password}")
    click.echo("It must be changed at the first login.")


def _read_upload(path: Path) -> bytes:
    """A file to import, refused above the same size limit as an upload in the browser."""
    megabytes = current_app.config["MAX_UPLOAD_MB"]
    if path.stat().st_size > megabytes * 1024 * 1024:
        raise click.ClickException(f"the file is larger than {megabytes} MB")
    return path.read_bytes()


def _end_import(dry_run: bool) -> str:
    """Commit the import, or with --dry-run undo it; the verb for the report."""
    if dry_run:
        db.session.rollback()
        return "would be"
    db.session.commit()
    return "were"


@click.group("people")
def people_group():
    """The register of enterprises and people."""


@people_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the file and report; write nothing.")
@with_database
def import_people(path: Path, dry_run: bool):
    """Import enterprises and people from an .xlsx or .csv file (the template's columns)."""
    from exam.core.timeutil import local_today
    from exam.people import services
    from exam.people.spreadsheets import plan_for_upload

    plan = plan_for_upload(path.name, _read_upload(path))
    if plan.errors:
        for error in plan.errors:
            where = f"{error.sheet} row {error.row}: " if error.row else ""
            click.echo(f"{where}{error.message}", err=True)
        click.echo(f"{len(plan.errors)} problem(s); nothing imported.", err=True)
        sys.exit(1)
    report = services.apply_import(plan, local_today())
    verb = _end_import(dry_run)
    click.echo(
        f"Enterprises {verb}: {report.enterprises_created} added, "
        f"{report.enterprises_updated} updated, {report.enterprises_unchanged} unchanged."
    )
    click.echo(
        f"People {verb}: {report.people_created} added, {report.people_updated} updated, "
        f"{report.people_unchanged} unchanged."
    )
    if not dry_run:
        for account in report.new_accounts:
            click.echo(f"  {account.name}\t{account.login}\t{account.password}")


@people_group.command("export")
@click.argument("path", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@with_database
def export_people(path: Path):
    """Export the whole register to an .xlsx file in the import template's columns."""
    from types import SimpleNamespace

    from exam.auth.models import UserRole
    from exam.people.spreadsheets import export_tables
    from question_bank.spreadsheets import write_xlsx

    path.write_bytes(write_xlsx(export_tables(SimpleNamespace(role=UserRole.ADMIN))))
    click.echo(f"Written to {path}")


@click.group("questions")
def questions_group():
    """The question bank."""


@questions_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["xlsx", "csv", "docx", "text", "moodle", "gift"]),
    help="The file's format (default: recognised from the file).",
)
@click.option("--dry-run", is_flag=True, help="Check the file and report; write nothing.")
@click.option(
    "--author",
    required=True,
    help="Login of the editor the new questions are credited to (who may not approve them).",
)
@click.option("--progress/--no-progress", default=True, help="Show a progress bar.")
@click.option(
    "--topic",
    "topic_code",
    metavar="CODE",
    help="Topic (code or name) for every question without one and every unmapped category.",
)
@click.option("--sector", "sector_code", metavar="CODE", help="Sector for questions naming none.")
@click.option(
    "--map",
    "mappings",
    multiple=True,
    metavar='"CATEGORY=CODE"',
    help="Import a category of the file under a topic (code or name); may be repeated.",
)
@with_database
def import_questions(
    path: Path,
    fmt: str | None,
    dry_run: bool,
    author: str,
    progress: bool,
    topic_code: str | None,
    sector_code: str | None,
    mappings: tuple[str, ...],
):
    """Import questions from the template (.xlsx/.csv), Word/text, Moodle XML or GIFT."""
    from tqdm import tqdm

    from exam.auth.models import User, UserRole

    editor = db.session.scalar(select(User).where(User.username == author.lower()))
    if editor is None or editor.role not in (UserRole.ADMIN, UserRole.ORGANISER):
        raise click.ClickException(f"no administrator or organiser is called {author!r}")

    from exam.questions.services import parse_upload, unmapped_problem, where

    choices = _import_choices(topic_code, sector_code, mappings)
    click.echo(f"Reading {path.name} …", err=True)
    plan = parse_upload(path.name, _read_upload(path), "xlsx" if fmt == "csv" else fmt, choices)
    for position, warnings in plan.warnings.items():
        for warning in warnings:
            click.echo(f"{where(position)}: warning: {warning.render()}", err=True)
    problems = plan.problems if not plan.checked else [("", unmapped_problem(plan))]
    if not plan.ok:
        for position, problem in problems:
            click.echo(f"{where(position) + ': ' if position else ''}{problem.render()}", err=True)
        click.echo(f"{len(problems)} problem(s); nothing imported.", err=True)
        sys.exit(1)
    from exam.questions.services import apply_import

    with tqdm(total=len(plan.items), unit="q", disable=not progress, file=sys.stderr) as bar:
        report = apply_import(plan, editor, progress=lambda done: bar.update(done - bar.n))
        verb = _end_import(dry_run)
    click.echo(
        f"Questions {verb}: {report.created} added, {report.updated} updated, "
        f"{report.unchanged} unchanged."
    )


def _import_choices(topic_code: str | None, sector_code: str | None, mappings: tuple[str, ...]):
    """The --topic, --sector and --map options as import choices; an unknown code stops here."""
    from exam.questions.services import ImportChoices, sector_lookup, topic_lookup

    topics, sectors = topic_lookup(), sector_lookup()

    def topic(code: str):
        if (found := topics.get(code.strip().lower())) is None:
            raise click.ClickException(f"no topic has the code or name {code.strip()!r}")
        return found

    mapping = {}
    for entry in mappings:
        category, equals, code = entry.rpartition("=")
        if not equals or not category.strip():
            raise click.ClickException(f"--map wants CATEGORY=CODE, not {entry!r}")
        mapping[category.strip().lower()] = topic(code)
    sector = None
    if sector_code and (sector := sectors.get(sector_code.strip().lower())) is None:
        raise click.ClickException(f"no sector has the code or name {sector_code.strip()!r}")
    return ImportChoices(
        topic=topic(topic_code) if topic_code else None, sector=sector, mapping=mapping
    )


DEMO_DB_NAME = "demo.sqlite"


@click.command("demo")
@click.option("--reset", is_flag=True, help="Delete the demo database and build it anew.")
@click.option("--no-serve", is_flag=True, help="Only build the demo database.")
@click.option("--logins", "logins_only", is_flag=True, help="Print the demo logins again and stop.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@click.option("--seed", default=2026, show_default=True, help="Random seed of the demo district.")
@with_appcontext
def demo(reset: bool, no_serve: bool, logins_only: bool, host: str, port: int, seed: int):
    """Build a demo district in its own SQLite file and serve it on http://127.0.0.1:5000
    (the same district for the same --seed)."""
    db_path = Path(current_app.instance_path) / DEMO_DB_NAME
    if logins_only and reset:
        raise click.UsageError("--logins prints the logins of the demo there is; drop --reset")
    if reset:
        db_path.unlink(missing_ok=True)
    if logins_only and not db_path.exists():
        raise click.ClickException("there is no demo yet: `anpei demo` builds it")
    demo_app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}", "DEMO": True})
    with demo_app.app_context():
        fresh = not db_path.exists() or not _has_people()
        if logins_only and fresh:
            raise click.ClickException("there is no demo yet: `anpei demo` builds it")
        upgrade()  # an existing demo follows this Anpei's schema
        from exam.demo.data import demo_logins

        if fresh:
            from exam.demo.district import build_district

            district = build_district(seed)
            click.echo(
                f"Demo question bank: {district.questions} questions; demo exams: "
                + "; ".join(district.exam_titles)
                + f"; {district.certificates} certificates; {district.sessions} training sessions"
            )
        elif not logins_only:
            click.echo(f"Using the existing demo database {db_path} (--reset builds it anew).")
            if click.get_current_context().get_parameter_source("seed") != ParameterSource.DEFAULT:
                click.echo(f"--seed {seed} applies to a new demo: add --reset to build it.")
        _print_logins(demo_logins(), db_path)
    if not (no_serve or logins_only):
        click.echo(f"Serving the demo on http://{host}:{port}  (Ctrl+C stops it)")
        # app.run() refuses to block inside a Flask CLI command; serve with werkzeug directly.
        from werkzeug.serving import run_simple

        run_simple(host, port, demo_app, threaded=True)


def _has_people() -> bool:
    from sqlalchemy import inspect

    from exam.people.models import Person

    if not inspect(db.engine).has_table("person"):
        return False
    return db.session.scalar(select(Person.id).limit(1)) is not None


def _print_logins(logins, db_path: Path) -> None:
    click.echo(f"Demo database: {db_path}")
    click.echo("Demo logins (this demo database only):")
    for role, login, password, note in logins.rows:
        click.echo(f"  {role:<12} {login:<20} {password:<18} {note}")


def _backup_summary(manifest: dict) -> str:
    database = manifest["database"]
    tables = database["tables"]
    return (
        f"{database['kind']} at revision {database['alembic_revision']}, "
        f"{sum(tables.values())} rows in {len(tables)} tables "
        f"({', '.join(f'{n} {t}' for t in BACKUP_HEADLINE if (n := tables.get(t)) is not None)}), "
        f"{manifest['files']['learning']} lesson files; taken {manifest['created_at']}"
    )


#: The tables a backup's summary names: what the record is kept for.
BACKUP_HEADLINE = ("attempt", "attempt_answer", "certificate", "audit_entry")


@click.command("backup")
@click.argument("archive", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--check", "check_only", is_flag=True, help="Verify ARCHIVE; write nothing.")
@with_appcontext
def backup_command(archive: Path | None, check_only: bool):
    """Write the database and the lesson files into one archive (ARCHIVE, by default
    anpei-backup-<UTC time>.tar; a name ending in .gz is compressed), or verify one (--check)."""
    import tempfile

    from exam.core import backup
    from exam.core.timeutil import utcnow

    try:
        if check_only:
            if archive is None:
                raise click.UsageError("--check needs the ARCHIVE to verify")
            with tempfile.TemporaryDirectory(prefix="anpei-check-") as work:
                manifest = backup.check(archive, Path(work))
            click.echo(f"{archive}: sound. {_backup_summary(manifest)}")
            return
        require_schema()
        now = utcnow()
        archive = archive or Path(f"anpei-backup-{now:%Y%m%dT%H%M%SZ}.tar")
        storage = Path(current_app.config["LEARNING_STORAGE"])
        manifest = backup.create(db.engine, storage, archive, now)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Written to {archive}: {_backup_summary(manifest)}")


@click.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--check", "check_only", is_flag=True, help="Verify ARCHIVE; restore nothing.")
@click.option("--force", is_flag=True, help="Replace everything in a database that is not empty.")
@with_appcontext
def restore_command(archive: Path, check_only: bool, force: bool):
    """Restore an archive of `anpei backup` into the configured database, which must be empty,
    and the lesson folder; then check that the database holds what the archive lists."""
    if check_only:
        click.get_current_context().invoke(backup_command, archive=archive, check_only=True)
        return
    from exam.core import backup

    storage = Path(current_app.config["LEARNING_STORAGE"])
    migrations = Path(current_app.extensions["migrate"].directory)
    try:
        restored = backup.restore(archive, db.engine, storage, migrations, force=force)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Restored {archive}: {_backup_summary(restored.manifest)}")
    click.echo(f"{restored.files_written} lesson files written; the row counts match the archive.")
    if restored.upgrade_to:
        click.echo(
            f"The archive is older than this Anpei: run `anpei db upgrade` (to {restored.upgrade_to})."
        )


@click.command("rebuild-hours")
@with_database
def rebuild_hours():
    """Count everybody's training hours toward their obligations again (after changing
    ANPEI_INITIAL_TRAINING_MONTHS, which moves the periods the hours count in)."""
    from exam.reports.kept import hours as hourskept

    hourskept.rebuild()
    db.session.commit()
    click.echo("Training hours counted again toward each person's obligations.")


for _command in (
    run_command,  # with its own --debug: Flask's top-level one applies to nothing else
    shell_command,
    routes_command,
    db_group,
    openapi_cli,
    rebuild_hours,
    create_admin,
    people_group,
    questions_group,
    demo,
    backup_command,
    restore_command,
):
    main.add_command(_command)

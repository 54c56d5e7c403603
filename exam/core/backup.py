"""Backups of the system of record: the database and the lesson files, in one archive.

An archive is a tar file (gzip-compressed when its name ends in ``.gz``) holding
``database.pgdump`` (``pg_dump -Fc``) or ``database.sqlite`` (a copy made with SQLite's online
backup API, never a plain file copy), the lesson store under ``files/learning/``, and last
``manifest.json``: Anpei's version, the Alembic revision, when, the kind of database, the rows of
each table, the number of files, and each member's size and SHA-256. Certificates' PDFs, the seal
and everything else of the record live in the database, so the dump holds them.

Consistency: on PostgreSQL the rows are counted in a read-only repeatable-read transaction whose
snapshot pg_dump then takes over (``--snapshot``), so the counts are exactly the dump's; on SQLite
they are counted in the copy. The lesson files are copied after the database: a lesson file is
stored before its row and never removed, so every row in the dump finds its file.

Plain functions over an engine and paths, no Flask: ``exam.cli`` calls them.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import tarfile
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path, PurePosixPath

from sqlalchemy.engine import Engine

from exam.core import dbcopy
from exam.core.dbcopy import BackupError

FORMAT = "anpei-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
FILES = "files/learning/"
DUMP = {"postgresql": "database.pgdump", "sqlite": "database.sqlite"}
CHUNK = 1024 * 1024

__all__ = ["BackupError", "Restored", "check", "create", "restore"]


@dataclass
class Restored:
    """What a restore did."""

    manifest: dict
    files_written: int
    #: The revision this code migrates to, when the archive's is older (``anpei db upgrade``).
    upgrade_to: str | None = None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _stored_files(storage: Path) -> list[Path]:
    """The lesson store's files, without what an upload in progress leaves (dot names)."""
    if not storage.is_dir():
        return []
    return sorted(
        path
        for path in storage.rglob("*")
        if path.is_file()
        and not any(part.startswith(".") for part in path.relative_to(storage).parts)
    )


def _add(archive: tarfile.TarFile, name: str, path: Path, members: dict) -> None:
    members[name] = {"size": path.stat().st_size, "sha256": _sha256(path)}
    archive.add(path, arcname=name, recursive=False)


def create(engine: Engine, storage: Path, target: Path, now: datetime | None = None) -> dict:
    """Write the archive ``target``; its manifest. Nothing is left at ``target`` on failure."""
    kind = dbcopy.database_kind(engine.url)
    started = now or datetime.now(UTC)
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".anpei-backup-") as work:
        dump = Path(work) / DUMP[kind]
        if kind == "postgresql":
            revision, counts = dbcopy.dump_postgres(engine, dump)
        else:
            dbcopy.sqlite_copy(dbcopy.sqlite_path(engine.url), dump)
            revision, counts = dbcopy.sqlite_facts(dump)
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "anpei_version": metadata.version("anpei"),
            "created_at": started.isoformat(),
            "database": {"kind": kind, "alembic_revision": revision, "tables": counts},
        }
        try:
            _write_archive(partial, target.name.endswith(".gz"), dump, storage, manifest)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    os.replace(partial, target)
    return manifest


def _write_archive(path: Path, gzip: bool, dump: Path, storage: Path, manifest: dict) -> None:
    """The dump, the lesson files, then the manifest completed with their checksums."""
    members: dict[str, dict] = {}
    # The archive holds ID numbers and password hashes: readable by its owner only.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh, tarfile.open(fileobj=fh, mode="w:gz" if gzip else "w") as tar:
        _add(tar, dump.name, dump, members)
        files = _stored_files(storage)
        for file in files:
            _add(tar, FILES + file.relative_to(storage).as_posix(), file, members)
        manifest.update(
            finished_at=datetime.now(UTC).isoformat(),
            files={"learning": len(files)},
            members=members,
        )
        body = json.dumps(manifest, indent=2, ensure_ascii=False).encode()
        info = tarfile.TarInfo(MANIFEST)
        info.size, info.mtime, info.mode = len(body), int(time.time()), 0o600
        tar.addfile(info, io.BytesIO(body))


SAFE_NAME = re.compile(r"^[A-Za-z0-9._-]+$")


def _safe_member(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return (
        bool(parts)
        and not name.startswith("/")
        and all(SAFE_NAME.match(p) and p not in (".", "..") for p in parts)
    )


def _read_members(path: Path, keep: set[str], work: Path | None) -> tuple[dict, dict]:
    """Each member's size and SHA-256, and the manifest; members named in ``keep`` are
    written into ``work`` meanwhile."""
    seen: dict[str, dict] = {}
    manifest = None
    try:
        with tarfile.open(path, "r:*") as archive:
            for member in archive:
                if not member.isfile() or not _safe_member(member.name):
                    raise BackupError(f"the archive holds an unexpected entry: {member.name!r}")
                source = archive.extractfile(member)
                if member.name == MANIFEST:
                    manifest = json.loads(source.read())
                    continue
                out = (work / member.name).open("wb") if work and member.name in keep else None
                digest = hashlib.sha256()
                while chunk := source.read(CHUNK):
                    digest.update(chunk)
                    if out:
                        out.write(chunk)
                if out:
                    out.close()
                seen[member.name] = {"size": member.size, "sha256": digest.hexdigest()}
    except (OSError, tarfile.TarError, EOFError, ValueError) as error:
        raise BackupError(f"{path} cannot be read as a backup archive: {error}") from error
    if not manifest or manifest.get("format") != FORMAT:
        raise BackupError(f"{path} is not an Anpei backup (no manifest)")
    return manifest, seen


def check(path: Path, work: Path) -> dict:
    """Verify an archive without restoring it; its manifest. The database member is left in
    ``work``. Raises ``BackupError`` listing every problem found."""
    if not path.is_file():
        raise BackupError(f"no such archive: {path}")
    manifest, seen = _read_members(path, set(DUMP.values()), work)
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(f"archive format {manifest.get('format_version')} is not understood")
    expected = manifest["members"]
    problems = [f"missing from the archive: {name}" for name in expected if name not in seen]
    problems += [f"not in the manifest: {name}" for name in seen if name not in expected]
    problems += [
        f"checksum or size differs: {name}"
        for name in expected
        if name in seen and seen[name] != expected[name]
    ]
    files = sum(1 for name in expected if name.startswith(FILES))
    if files != manifest["files"]["learning"]:
        problems.append(f"the manifest counts {manifest['files']['learning']} files, lists {files}")
    if problems:
        raise BackupError("the archive is damaged:\n  " + "\n  ".join(problems))
    database = manifest["database"]
    dump = work / DUMP[database["kind"]]
    if database["kind"] == "postgresql":
        dbcopy.check_pg_dump(dump, database["tables"])
    elif dbcopy.sqlite_facts(dump) != (database["alembic_revision"], database["tables"]):
        raise BackupError("the SQLite copy's rows differ from the manifest")
    return manifest


# --- restoring ---------------------------------------------------------------------------------


def restore(
    path: Path, engine: Engine, storage: Path, migrations: Path, force: bool = False
) -> Restored:
    """Restore an archive into an empty database (any with ``force``) and the lesson store,
    then check that the database holds what the manifest says."""
    kind = dbcopy.database_kind(engine.url)
    with tempfile.TemporaryDirectory(prefix="anpei-restore-") as work:
        manifest = check(path, Path(work))
        database = manifest["database"]
        if database["kind"] != kind:
            raise BackupError(f"the archive holds a {database['kind']} database, not {kind}")
        upgrade_to = dbcopy.known_revision(migrations, database["alembic_revision"])
        dbcopy.require_empty(engine, force)
        engine.dispose()
        dump = Path(work) / DUMP[kind]
        if kind == "postgresql":
            dbcopy.restore_postgres(engine, dump, force)
        else:
            target = dbcopy.sqlite_path(engine.url)
            target.parent.mkdir(parents=True, exist_ok=True)
            dbcopy.sqlite_copy(dump, target)
    engine.dispose()
    if dbcopy.database_facts(engine) != (database["alembic_revision"], database["tables"]):
        raise BackupError("the restored database does not hold what the manifest lists")
    written = _restore_files(path, manifest["members"], storage)
    return Restored(manifest, written, upgrade_to)


def _restore_files(path: Path, members: dict, storage: Path) -> int:
    """Write the lesson files into the store, each checked against the manifest; a file
    already there with the same content is kept (the store is addressed by content)."""
    written = 0
    with tarfile.open(path, "r:*") as archive:
        for member in archive:
            if not member.name.startswith(FILES) or member.name not in members:
                continue
            target = storage / member.name.removeprefix(FILES)
            if target.is_file() and _sha256(target) == members[member.name]["sha256"]:
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(f".{target.name}.restore.part")
            digest = hashlib.sha256()
            with archive.extractfile(member) as source, partial.open("wb") as out:
                while chunk := source.read(CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
            if digest.hexdigest() != members[member.name]["sha256"]:
                partial.unlink()
                raise BackupError(f"{member.name} changed while it was restored")
            os.replace(partial, target)
            written += 1
    return written

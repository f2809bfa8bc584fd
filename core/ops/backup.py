"""`is2in backup PATH` and `is2in restore PATH`: the database and the file store in one archive.

The database is copied first, consistently while the app runs (SQLite's online backup API, or
pg_dump's snapshot), then the file store. Stored files are named by their SHA-256 and never change,
and a file is written before the row that names it commits, so every file the copied database names
is already there when the files are copied; files added meanwhile are merely extra.
"""

import datetime
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess  # pg_dump/pg_restore with argument lists, never a shell  # nosec B404
import tarfile
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from core.db import db

FORMAT = 1


class BackupError(Exception):
    pass


def _sqlite_path(url: str) -> str:
    return url.split("///", 1)[1] if url.startswith("sqlite") else ""


def _pg_url(url: str) -> str:
    """A libpq URL for pg_dump/pg_restore (peewee's '+pool' and 'postgresext' schemes removed)."""
    parts = urlsplit(url)
    return parts._replace(scheme="postgresql").geturl()


def backup(config: dict, target: str | os.PathLike) -> dict:
    target = Path(target)
    url = config["DATABASE_URL"]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if url.startswith("sqlite"):
            source = sqlite3.connect(_sqlite_path(url))
            dest = sqlite3.connect(tmp / "database.sqlite3")
            with dest:
                source.backup(dest)
            source.close()
            dest.close()
            kind = "sqlite"
        else:
            result = subprocess.run(  # an argument list; pg_dump/pg_restore from PATH  # nosec B603 B607
                [
                    "pg_dump",
                    "--format=custom",
                    "--no-owner",
                    "--no-privileges",
                    f"--file={tmp / 'database.pgdump'}",
                    _pg_url(url),
                ],
                capture_output=True,
            )
            if result.returncode:
                raise BackupError(result.stderr.decode(errors="replace"))
            kind = "postgres"
        data_dir = Path(config["DATA_DIR"])
        files = (
            sorted(p for p in data_dir.rglob("*") if p.is_file() and not p.name.startswith("."))
            if data_dir.exists()
            else []
        )
        manifest = {
            "format": FORMAT,
            "created_at": datetime.datetime.now(datetime.UTC).isoformat(),
            "database": kind,
            "files": len(files),
        }
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(target.suffix + ".partial")
        with tarfile.open(partial, "w:gz") as archive:
            data = json.dumps(manifest, indent=2).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
            database_file = "database.sqlite3" if kind == "sqlite" else "database.pgdump"
            archive.add(tmp / database_file, arcname=database_file)
            for path in files:
                archive.add(path, arcname=f"files/{path.relative_to(data_dir)}")
        os.replace(partial, target)
    return manifest


def restore(config: dict, source: str | os.PathLike) -> dict:
    """Put the archive's database and files in place of the current ones. Stop the app servers and
    workers first: the database is replaced, not merged."""
    url = config["DATABASE_URL"]
    with tempfile.TemporaryDirectory() as tmp, tarfile.open(source, "r:gz") as archive:
        tmp = Path(tmp)
        archive.extractall(tmp, filter="data")
        manifest = json.loads((tmp / "manifest.json").read_text())
        if manifest.get("format") != FORMAT:
            raise BackupError(f"unknown backup format {manifest.get('format')!r}")
        expected = "sqlite" if url.startswith("sqlite") else "postgres"
        if manifest["database"] != expected:
            raise BackupError(f"this backup holds a {manifest['database']} database; the app uses {expected}")
        if not db.is_closed():
            db.close()
        if expected == "sqlite":
            path = Path(_sqlite_path(url))
            for suffix in ("-wal", "-shm"):
                Path(str(path) + suffix).unlink(missing_ok=True)
            source_db = sqlite3.connect(tmp / "database.sqlite3")
            dest = sqlite3.connect(path)
            with dest:
                source_db.backup(dest)
            source_db.close()
            dest.close()
        else:
            result = subprocess.run(  # an argument list; pg_dump/pg_restore from PATH  # nosec B603 B607
                [
                    "pg_restore",
                    "--clean",
                    "--if-exists",
                    "--no-owner",
                    "--no-privileges",
                    "--single-transaction",
                    f"--dbname={_pg_url(url)}",
                    str(tmp / "database.pgdump"),
                ],
                capture_output=True,
            )
            if result.returncode:
                raise BackupError(result.stderr.decode(errors="replace"))
        data_dir = Path(config["DATA_DIR"])
        restored = 0
        for path in sorted((tmp / "files").rglob("*")) if (tmp / "files").exists() else []:
            if path.is_file():
                target = data_dir / path.relative_to(tmp / "files")
                target.parent.mkdir(parents=True, exist_ok=True)
                if not target.exists() or _digest(target) != _digest(path):
                    shutil.copy2(path, target)
                    restored += 1
        manifest["restored_files"] = restored
    return manifest


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def verify_files() -> list[str]:
    """Every stored file the database names that is missing or altered (hash mismatch)."""
    from core.files import StoredFile

    problems = []
    for stored in StoredFile.select():
        if not stored.path.exists():
            problems.append(f"missing: {stored.id} {stored.original_name} ({stored.sha256})")
        elif _digest(stored.path) != stored.sha256:
            problems.append(f"altered: {stored.id} {stored.original_name} ({stored.sha256})")
    return problems

"""The file store: uploaded and generated files under IS2IN_DATA_DIR, named by their SHA-256, with the
hash kept in the database so that a missing or altered file is caught before it is served."""

import hashlib
import io
import os
import tempfile
import zipfile
from pathlib import Path

import peewee as pw
from flask import current_app, send_file

from core.db import BaseModel, utcnow

# What may be uploaded, told by content, never by the file's name.
KINDS = {
    "pdf": ("application/pdf", ".pdf"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"),
    "ole": ("application/octet-stream", ".doc"),
    "xml": ("application/xml", ".xml"),
}


class FileIntegrityError(Exception):
    """A stored file is missing or its content no longer matches its recorded hash."""


class StoredFile(BaseModel):
    sha256 = pw.CharField(max_length=64, index=True)
    size = pw.BigIntegerField()
    content_type = pw.CharField(max_length=128)
    original_name = pw.CharField(max_length=255)
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "stored_file"

    @property
    def path(self) -> Path:
        return data_dir() / self.sha256[:2] / self.sha256

    def read(self) -> bytes:
        try:
            data = self.path.read_bytes()
        except FileNotFoundError as exc:
            raise FileIntegrityError(f"file {self.id} ({self.original_name}) is missing") from exc
        if hashlib.sha256(data).hexdigest() != self.sha256:
            raise FileIntegrityError(f"file {self.id} ({self.original_name}) was altered")
        return data

    def send(self, download_name=None):
        data = self.read()
        return send_file(
            io.BytesIO(data),
            mimetype=self.content_type,
            as_attachment=True,
            download_name=download_name or self.original_name,
        )


def data_dir() -> Path:
    return Path(current_app.config["DATA_DIR"])


def sniff(data: bytes) -> str | None:
    """The kind of a file from its first bytes (and, for zip containers, its parts)."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "ole"
    if data.startswith(b"PK\x03\x04"):
        try:
            names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
        except zipfile.BadZipFile:
            return None
        if "[Content_Types].xml" in names:
            if any(n.startswith("word/") for n in names):
                return "docx"
            if any(n.startswith("xl/") for n in names):
                return "xlsx"
        return None
    head = data[:200].lstrip(b"\xef\xbb\xbf").lstrip()
    if head.startswith(b"<?xml"):
        return "xml"
    return None


def safe_name(name: str, kind: str) -> str:
    """A display name for downloads: the base name only, with the extension the content deserves."""
    base = os.path.basename((name or "").replace("\\", "/")).strip() or "document"
    stem = base.rsplit(".", 1)[0][:120] or "document"
    return stem + KINDS[kind][1]


def store(data: bytes, original_name: str, kind: str) -> StoredFile:
    """An uploaded or generated document of a kind the portal accepts, under a safe display name."""
    return store_blob(data, safe_name(original_name, kind), KINDS[kind][0])


def store_blob(data: bytes, name: str, content_type: str) -> StoredFile:
    """Bytes kept byte for byte in the file store, whatever their kind (signing evidence: CMS, CRL, OCSP),
    under their SHA-256, so the same bytes are written once."""
    digest = hashlib.sha256(data).hexdigest()
    target = data_dir() / digest[:2] / digest
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        # Write beside the target and rename, so a crash never leaves a half-written file in place.
        fd, tmp = tempfile.mkstemp(dir=target.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    return StoredFile.create(sha256=digest, size=len(data), content_type=content_type, original_name=name[:255])


def temp_path() -> str:
    """A new empty file inside the store's folder, for a big file written in pieces and then ``store_path``'d
    (same filesystem, so moving it into place is a rename)."""
    folder = data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    fd, path = tempfile.mkstemp(dir=folder, suffix=".part")
    os.close(fd)
    return path


def store_path(path: str, name: str, kind: str) -> StoredFile:
    """``core.files.store`` for a file already on disk: hashed in chunks and moved into place, so a
    register of hundreds of megabytes is never read into memory."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
            size += len(chunk)
        os.fsync(fh.fileno())
    sha = digest.hexdigest()
    target = data_dir() / sha[:2] / sha
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        os.unlink(path)
    else:
        os.replace(path, target)
    return StoredFile.create(sha256=sha, size=size, content_type=KINDS[kind][0], original_name=safe_name(name, kind))

"""What signing keeps in the database: the Exchange's trust store, the documents issued for signature (each
with its one-time code), the evidence of every accepted signature and which organisations let a person with
the right to sign sign instead of the first head."""

import hashlib
import secrets

import peewee as pw

from core.accounts.models import Organisation, User
from core.db import BaseModel, utcnow
from core.files import StoredFile
from core.workflow.models import Application, Signature

# Unambiguous letters and digits (no 0/O, 1/I/L): a code is read off paper and typed in.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_GROUPS = 3
CODE_GROUP_LENGTH = 4


def new_code() -> str:
    """A random document code such as ``7KQ2-M9XD-4TPA`` (about 59 bits): printed on the document, it is the
    one-time challenge the signature is bound to and the key of the public "Проверить документ" page."""
    groups = ("".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_GROUP_LENGTH)) for _ in range(CODE_GROUPS))
    return "-".join(groups)


def normalise_code(text: str) -> str:
    raw = "".join(ch for ch in (text or "").upper() if ch.isalnum())
    raw = raw.replace("O", "0").replace("I", "1").replace("L", "1")  # what people type for the missing letters
    size = CODE_GROUP_LENGTH
    return "-".join(raw[i : i + size] for i in range(0, len(raw), size))


class TrustCertificate(BaseModel):
    """A root or intermediate certificate the Exchange's admins trust for e-signatures (never the OS store)."""

    sha256 = pw.CharField(max_length=64, unique=True)
    sha1 = pw.CharField(max_length=40)
    subject = pw.TextField()
    issuer = pw.TextField()
    serial = pw.CharField(max_length=128)
    not_before = pw.DateTimeField()
    not_after = pw.DateTimeField()
    is_root = pw.BooleanField(default=False)
    der = pw.BlobField()
    added_by = pw.ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    added_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "trust_certificate"

    @property
    def expired(self) -> bool:
        return self.not_after < utcnow()

    @property
    def fingerprint(self) -> str:
        """SHA-256 as people compare them: pairs of hex digits separated by colons."""
        return ":".join(self.sha256[i : i + 2] for i in range(0, 64, 2)).upper()


class SigningDocument(BaseModel):
    """The exact bytes the server issued for signature and the one-time code printed on them. A signature is
    accepted only for the current document of its application; the signed copy is made from it."""

    code = pw.CharField(max_length=16, unique=True)
    application = pw.ForeignKeyField(Application, null=True, backref="+", on_delete="CASCADE")
    kind = pw.CharField(max_length=16)  # application | answer | letter
    title = pw.CharField(max_length=500)
    file = pw.ForeignKeyField(StoredFile, backref="+")
    sha256 = pw.CharField(max_length=64, index=True)
    issued_at = pw.DateTimeField(default=utcnow)
    superseded_at = pw.DateTimeField(null=True)
    signed_copy = pw.ForeignKeyField(StoredFile, null=True, backref="+")
    sealed_at = pw.DateTimeField(null=True)

    class Meta:
        table_name = "signing_document"

    @classmethod
    def by_code(cls, code: str):
        return cls.get_or_none(cls.code == normalise_code(code))

    @classmethod
    def current_for(cls, application, file):
        return cls.get_or_none((cls.application == application) & (cls.file == file) & cls.superseded_at.is_null())

    def signatures(self):
        return list(
            SignatureEvidence.select(SignatureEvidence, Signature)
            .join(Signature)
            .where(SignatureEvidence.document == self)
            .order_by(SignatureEvidence.id)
        )


class SignatureEvidence(BaseModel):
    """Everything the Exchange would show a court about one accepted signature: the verified certificate,
    the signer's role and position, and the revocation answers fetched when it was accepted."""

    signature = pw.ForeignKeyField(Signature, unique=True, backref="+", on_delete="CASCADE")
    document = pw.ForeignKeyField(SigningDocument, backref="evidence", on_delete="CASCADE")
    role = pw.CharField(max_length=16)  # first_head | authorised | exchange
    position = pw.CharField(max_length=200, default="")
    full_name = pw.CharField(max_length=255)
    organisation = pw.CharField(max_length=500, default="")
    certificate = pw.BlobField()
    certificate_sha256 = pw.CharField(max_length=64)
    not_after = pw.DateTimeField()
    algorithm = pw.CharField(max_length=64, default="")
    revocation = pw.CharField(max_length=16, default="not_checked")  # good | not_checked (nothing named)
    signing_time = pw.DateTimeField(null=True)  # as the signature claims it (signed attributes)
    verified_at = pw.DateTimeField(default=utcnow)
    verifier = pw.CharField(max_length=32, default="pyhanko")  # pyhanko | gost-service
    on_behalf = pw.TextField(default="")  # a substitute's power of attorney, as the stamp prints it

    class Meta:
        table_name = "signature_evidence"


class RevocationEvidence(BaseModel):
    """One CRL or OCSP response, byte for byte as fetched when a signature was accepted."""

    evidence = pw.ForeignKeyField(SignatureEvidence, backref="revocations", on_delete="CASCADE")
    kind = pw.CharField(max_length=8)  # crl | ocsp
    url = pw.CharField(max_length=1000)
    file = pw.ForeignKeyField(StoredFile, backref="+")
    fetched_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "revocation_evidence"


class RevocationList(BaseModel):
    """A CRL an Exchange admin uploaded on the trust page: the evidence for certificates of its issuer that
    name no CRL or OCSP source of their own. Replaced by a newer upload of the same issuer."""

    sha256 = pw.CharField(max_length=64, unique=True)
    issuer = pw.TextField()
    this_update = pw.DateTimeField()
    next_update = pw.DateTimeField(null=True)
    entries = pw.IntegerField(default=0)  # how many certificates it lists as revoked
    der = pw.BlobField()
    added_by = pw.ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    added_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "revocation_list"

    @property
    def stale(self) -> bool:
        return self.next_update is not None and self.next_update < utcnow()


class SignerPolicy(BaseModel):
    """An organisation whose person with the right to sign (1.2.398.3.3.4.1.2.2) may sign instead of the
    first head, as the Exchange recorded it from the organisation's power of attorney."""

    organisation = pw.ForeignKeyField(Organisation, unique=True, backref="+", on_delete="CASCADE")
    allow_authorised = pw.BooleanField(default=True)
    note = pw.CharField(max_length=500, default="")
    updated_by = pw.ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    updated_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "signer_policy"

    @classmethod
    def allows_authorised(cls, organisation) -> bool:
        row = cls.get_or_none(cls.organisation == organisation)
        return bool(row and row.allow_authorised)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()

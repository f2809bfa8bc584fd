"""E-signatures the Exchange can defend: its trust store, the documents issued for signature with their
one-time codes, the evidence of each accepted signature (certificate, role, CRL/OCSP answers) and the
organisations that let a person with the right to sign sign instead of the first head."""

import peewee as pw


def upgrade(db, migrator):
    class Base(pw.Model):
        class Meta:
            database = db

    class User(Base):
        class Meta:
            table_name = "users"

    class Organisation(Base):
        class Meta:
            table_name = "organisation"

    class StoredFile(Base):
        class Meta:
            table_name = "stored_file"

    class Application(Base):
        class Meta:
            table_name = "application"

    class Signature(Base):
        class Meta:
            table_name = "signature"

    class TrustCertificate(Base):
        sha256 = pw.CharField(max_length=64, unique=True)
        sha1 = pw.CharField(max_length=40)
        subject = pw.TextField()
        issuer = pw.TextField()
        serial = pw.CharField(max_length=128)
        not_before = pw.DateTimeField()
        not_after = pw.DateTimeField()
        is_root = pw.BooleanField(default=False)
        der = pw.BlobField()
        added_by = pw.ForeignKeyField(User, null=True, on_delete="SET NULL")
        added_at = pw.DateTimeField()

        class Meta:
            table_name = "trust_certificate"

    class SigningDocument(Base):
        code = pw.CharField(max_length=16, unique=True)
        application = pw.ForeignKeyField(Application, null=True, on_delete="CASCADE")
        kind = pw.CharField(max_length=16)
        title = pw.CharField(max_length=500)
        file = pw.ForeignKeyField(StoredFile)
        sha256 = pw.CharField(max_length=64, index=True)
        issued_at = pw.DateTimeField()
        superseded_at = pw.DateTimeField(null=True)
        signed_copy = pw.ForeignKeyField(StoredFile, null=True)
        sealed_at = pw.DateTimeField(null=True)

        class Meta:
            table_name = "signing_document"

    class SignatureEvidence(Base):
        signature = pw.ForeignKeyField(Signature, unique=True, on_delete="CASCADE")
        document = pw.ForeignKeyField(SigningDocument, on_delete="CASCADE")
        role = pw.CharField(max_length=16)
        position = pw.CharField(max_length=200, default="")
        full_name = pw.CharField(max_length=255)
        organisation = pw.CharField(max_length=500, default="")
        certificate = pw.BlobField()
        certificate_sha256 = pw.CharField(max_length=64)
        not_after = pw.DateTimeField()
        algorithm = pw.CharField(max_length=64, default="")
        revocation = pw.CharField(max_length=16, default="not_checked")
        signing_time = pw.DateTimeField(null=True)
        verified_at = pw.DateTimeField()
        verifier = pw.CharField(max_length=32, default="pyhanko")

        class Meta:
            table_name = "signature_evidence"

    class RevocationEvidence(Base):
        evidence = pw.ForeignKeyField(SignatureEvidence, on_delete="CASCADE")
        kind = pw.CharField(max_length=8)
        url = pw.CharField(max_length=1000)
        file = pw.ForeignKeyField(StoredFile)
        fetched_at = pw.DateTimeField()

        class Meta:
            table_name = "revocation_evidence"

    class SignerPolicy(Base):
        organisation = pw.ForeignKeyField(Organisation, unique=True, on_delete="CASCADE")
        allow_authorised = pw.BooleanField(default=True)
        note = pw.CharField(max_length=500, default="")
        updated_by = pw.ForeignKeyField(User, null=True, on_delete="SET NULL")
        updated_at = pw.DateTimeField()

        class Meta:
            table_name = "signer_policy"

    db.create_tables([TrustCertificate, SigningDocument, SignatureEvidence, RevocationEvidence, SignerPolicy])

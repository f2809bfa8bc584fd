"""Delegation with a power of attorney: a first head names a substitute of his organisation for a date range, the
power of attorney signed by him; transitions and signature evidence say on whose behalf the substitute acted."""

import peewee as pw


def upgrade(db, migrator):
    from playhouse.migrate import migrate

    class Base(pw.Model):
        class Meta:
            database = db

    class Organisation(Base):
        class Meta:
            table_name = "organisation"

    class User(Base):
        class Meta:
            table_name = "users"

    class StoredFile(Base):
        class Meta:
            table_name = "stored_file"

    class SigningDocument(Base):
        class Meta:
            table_name = "signing_document"

    class PowerOfAttorney(Base):
        organisation = pw.ForeignKeyField(Organisation, on_delete="CASCADE")
        grantor = pw.ForeignKeyField(User)
        substitute = pw.ForeignKeyField(User)
        number = pw.CharField(max_length=64)
        issued_on = pw.DateField()
        valid_from = pw.DateField()
        valid_until = pw.DateField()
        scan = pw.ForeignKeyField(StoredFile)
        document = pw.ForeignKeyField(SigningDocument, null=True, on_delete="SET NULL")
        cms = pw.ForeignKeyField(StoredFile, null=True)
        signer_iin = pw.CharField(max_length=12, default="")
        certificate_serial = pw.CharField(max_length=128, default="")
        certificate_issuer = pw.CharField(max_length=500, default="")
        signed_at = pw.DateTimeField(null=True)
        revoked_at = pw.DateTimeField(null=True)
        revoked_by = pw.ForeignKeyField(User, null=True, on_delete="SET NULL")
        revoke_reason = pw.CharField(max_length=500, default="")
        reminded_at = pw.DateTimeField(null=True)
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "power_of_attorney"
            indexes = ((("substitute", "valid_until"), False), (("organisation", "created_at"), False))

    db.create_tables([PowerOfAttorney])
    migrate(
        migrator.add_column("transition", "on_behalf", pw.TextField(default="")),
        migrator.add_column("signature_evidence", "on_behalf", pw.TextField(default="")),
    )

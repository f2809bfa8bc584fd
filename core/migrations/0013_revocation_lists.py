"""CRLs the Exchange's admins upload on the trust page: revocation evidence for certificates that name no CRL
or OCSP source of their own (docs/security.md, "Verification policy")."""

import peewee as pw


def upgrade(db, migrator):
    class Base(pw.Model):
        class Meta:
            database = db

    class User(Base):
        class Meta:
            table_name = "users"

    class RevocationList(Base):
        sha256 = pw.CharField(max_length=64, unique=True)
        issuer = pw.TextField()
        this_update = pw.DateTimeField()
        next_update = pw.DateTimeField(null=True)
        entries = pw.IntegerField(default=0)
        der = pw.BlobField()
        added_by = pw.ForeignKeyField(User, null=True, on_delete="SET NULL")
        added_at = pw.DateTimeField()

        class Meta:
            table_name = "revocation_list"

    db.create_tables([RevocationList])

"""The workflow engine: stage states, form data, comments, transitions, attachments, signatures,
securities of the dynamic form and the cascade catalogue; new columns on applications."""

import peewee as pw


def upgrade(db, migrator):
    from playhouse.migrate import migrate

    class Base(pw.Model):
        class Meta:
            database = db

    class User(Base):
        class Meta:
            table_name = "users"

    class StoredFile(Base):
        class Meta:
            table_name = "stored_file"

    class Application(Base):
        class Meta:
            table_name = "application"

    migrate(
        migrator.add_column("application", "version", pw.IntegerField(default=0)),
        migrator.add_column("application", "deadline", pw.DateField(null=True)),
        migrator.add_column("application", "registration_number", pw.CharField(max_length=64, default="")),
        migrator.add_column("application", "registered_on", pw.DateField(null=True)),
        migrator.add_column("application", "meeting_at", pw.DateTimeField(null=True)),
        migrator.add_column("application", "decision", pw.TextField(default="")),
        migrator.add_column(
            "application", "signing_file_id", pw.ForeignKeyField(StoredFile, null=True, field=StoredFile.id)
        ),
        migrator.add_column("application", "filed_by_consultant", pw.BooleanField(default=False)),
    )

    class StageState(Base):
        application = pw.ForeignKeyField(Application, on_delete="CASCADE")
        stage = pw.CharField(max_length=64)
        status = pw.CharField(max_length=16, default="empty")
        updated_by = pw.ForeignKeyField(User, null=True)
        updated_at = pw.DateTimeField()

        class Meta:
            table_name = "stage_state"
            indexes = ((("application", "stage"), True),)

    class FormData(Base):
        application = pw.ForeignKeyField(Application, on_delete="CASCADE")
        form_code = pw.CharField(max_length=64)
        data = pw.TextField(default="{}")
        updated_by = pw.ForeignKeyField(User, null=True)
        updated_at = pw.DateTimeField()

        class Meta:
            table_name = "form_data"
            indexes = ((("application", "form_code"), True),)

    class Comment(Base):
        application = pw.ForeignKeyField(Application, on_delete="CASCADE")
        form_code = pw.CharField(max_length=64)
        field = pw.CharField(max_length=64)
        text = pw.TextField()
        author = pw.ForeignKeyField(User)
        process = pw.CharField(max_length=64)
        created_at = pw.DateTimeField()
        saved_at = pw.DateTimeField(null=True)

        class Meta:
            table_name = "comment"
            indexes = ((("application", "form_code"), False),)

    class Transition(Base):
        application = pw.ForeignKeyField(Application, on_delete="CASCADE")
        action = pw.CharField(max_length=32)
        from_process = pw.CharField(max_length=64)
        to_process = pw.CharField(max_length=64)
        actor = pw.ForeignKeyField(User)
        note = pw.TextField(default="")
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "transition"

    class Attachment(Base):
        application = pw.ForeignKeyField(Application, on_delete="CASCADE")
        kind = pw.CharField(max_length=16)
        title = pw.CharField(max_length=500)
        file = pw.ForeignKeyField(StoredFile)
        uploaded_by = pw.ForeignKeyField(User)
        uploaded_at = pw.DateTimeField()
        note = pw.TextField(default="")

        class Meta:
            table_name = "attachment"
            indexes = ((("application", "kind"), False),)

    class Signature(Base):
        application = pw.ForeignKeyField(Application, on_delete="CASCADE")
        process = pw.CharField(max_length=64)
        document = pw.ForeignKeyField(StoredFile)
        cms = pw.ForeignKeyField(StoredFile)
        signer = pw.ForeignKeyField(User)
        signer_name = pw.CharField(max_length=255)
        iin = pw.CharField(max_length=12)
        bin = pw.CharField(max_length=12)
        certificate_serial = pw.CharField(max_length=128)
        certificate_issuer = pw.CharField(max_length=500)
        signed_at = pw.DateTimeField()

        class Meta:
            table_name = "signature"

    class ApplicationSecurity(Base):
        application = pw.ForeignKeyField(Application, on_delete="CASCADE")
        isin = pw.CharField(max_length=12)
        path = pw.TextField()
        form_code = pw.CharField(max_length=64)
        data = pw.TextField(default="{}")
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "application_security"
            indexes = ((("application", "isin"), True),)

    class CascadeNode(Base):
        catalogue = pw.CharField(max_length=32, index=True)
        parent = pw.ForeignKeyField("self", null=True, on_delete="CASCADE")
        level = pw.IntegerField()
        label_ru = pw.CharField(max_length=255)
        label_kk = pw.CharField(max_length=255)
        label_en = pw.CharField(max_length=255)
        form_code = pw.CharField(max_length=64, default="")
        position = pw.IntegerField(default=0)
        is_active = pw.BooleanField(default=True)

        class Meta:
            table_name = "cascade_node"

    db.create_tables(
        [StageState, FormData, Comment, Transition, Attachment, Signature, ApplicationSecurity, CascadeNode]
    )

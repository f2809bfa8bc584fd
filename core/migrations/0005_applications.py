"""Applications, their participants, and questionnaires kept for reuse."""

import peewee as pw


def upgrade(db, migrator):
    class Base(pw.Model):
        class Meta:
            database = db

    class Organisation(Base):
        class Meta:
            table_name = "organisation"

    class User(Base):
        class Meta:
            table_name = "users"

    class Application(Base):
        number = pw.CharField(max_length=32, unique=True)
        organisation = pw.ForeignKeyField(Organisation)
        procedure = pw.CharField(max_length=64, index=True)
        procedure_version = pw.IntegerField(default=1)
        process = pw.CharField(max_length=255, default="")
        status = pw.CharField(max_length=16, default="draft", index=True)
        author = pw.ForeignKeyField(User)
        executor = pw.ForeignKeyField(User, null=True)
        created_at = pw.DateTimeField()
        submitted_at = pw.DateTimeField(null=True)
        archived_at = pw.DateTimeField(null=True)

        class Meta:
            table_name = "application"

    class ApplicationMember(Base):
        application = pw.ForeignKeyField(Application, on_delete="CASCADE")
        user = pw.ForeignKeyField(User, on_delete="CASCADE")
        role = pw.CharField(max_length=16)
        assigned_at = pw.DateTimeField()

        class Meta:
            table_name = "application_member"
            indexes = ((("application", "user", "role"), True), (("user",), False))

    class Questionnaire(Base):
        organisation = pw.ForeignKeyField(Organisation)
        form_code = pw.CharField(max_length=64, index=True)
        title = pw.CharField(max_length=255)
        data = pw.TextField()
        application = pw.ForeignKeyField(Application, on_delete="CASCADE")
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "questionnaire"

    db.create_tables([Application, ApplicationMember, Questionnaire])

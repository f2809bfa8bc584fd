"""Applications as the lists see them (G-9.4..G-9.6); the workflow engine adds their processes."""

import peewee as pw
from flask_babel import lazy_gettext as _l

from core.accounts.models import Organisation, User
from core.db import BaseModel, utcnow

STATUSES = {
    "draft": _l("Черновик"),
    "approval": _l("На согласовании"),
    "signing": _l("На подписании"),
    "submitted": _l("На рассмотрении"),
    "revision": _l("На доработке"),
    "withdrawn": _l("Отозвано"),
    "archived": _l("Архив"),
}


class Application(BaseModel):
    number = pw.CharField(max_length=32, unique=True)
    organisation = pw.ForeignKeyField(Organisation, backref="applications")
    procedure = pw.CharField(max_length=64, index=True)
    procedure_version = pw.IntegerField(default=1)
    process = pw.CharField(max_length=255, default="")
    status = pw.CharField(max_length=16, default="draft", index=True)
    author = pw.ForeignKeyField(User, backref="+")
    executor = pw.ForeignKeyField(User, null=True, backref="+")
    created_at = pw.DateTimeField(default=utcnow)
    submitted_at = pw.DateTimeField(null=True)
    archived_at = pw.DateTimeField(null=True)

    class Meta:
        table_name = "application"

    @property
    def status_label(self):
        return STATUSES.get(self.status, self.status)

    @classmethod
    def visible_to(cls, user):
        """G-9.4: a client sees an application only where it is its author or an assigned executor."""
        if user.is_staff:
            return cls.select().where(cls.submitted_at.is_null(False))
        mine = ApplicationMember.select(ApplicationMember.application).where(ApplicationMember.user == user)
        return cls.select().where(cls.id.in_(mine))

    @classmethod
    def active_for(cls, user):
        return cls.visible_to(user).where(cls.status.not_in(("archived", "withdrawn")))

    @classmethod
    def archived_for(cls, user):
        return cls.visible_to(user).where(cls.status == "archived")


class ApplicationMember(BaseModel):
    """Who takes part in an application: its author and every user assigned as executor in it."""

    application = pw.ForeignKeyField(Application, backref="members", on_delete="CASCADE")
    user = pw.ForeignKeyField(User, backref="+", on_delete="CASCADE")
    role = pw.CharField(max_length=16)
    assigned_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "application_member"
        indexes = ((("application", "user", "role"), True), (("user",), False))


class Questionnaire(BaseModel):
    """A filled form of an archived application, offered for reuse (G-9.6)."""

    organisation = pw.ForeignKeyField(Organisation, backref="+")
    form_code = pw.CharField(max_length=64, index=True)
    title = pw.CharField(max_length=255)
    data = pw.TextField()
    application = pw.ForeignKeyField(Application, backref="+", on_delete="CASCADE")
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "questionnaire"

    @classmethod
    def of(cls, organisation):
        return (cls.select(cls, Application).join(Application)
                .where(cls.organisation == organisation).order_by(cls.created_at.desc()))

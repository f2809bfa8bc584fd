"""Applications as the lists see them (G-9.4..G-9.6); the workflow engine adds their processes."""

import json

import peewee as pw
from flask_babel import lazy_gettext as _l

from core.accounts.models import Organisation, User
from core.db import BaseModel, utcnow
from core.files import StoredFile
from core.i18n import key_field

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
    # Added by the engine (migration 0007).
    version = pw.IntegerField(default=0)
    deadline = pw.DateField(null=True)
    registration_number = pw.CharField(max_length=64, default="")
    registered_on = pw.DateField(null=True)
    meeting_at = pw.DateTimeField(null=True)
    decision = pw.TextField(default="")
    decision_result = pw.CharField(max_length=16, default="")  # approved | refused (migration 0011)
    signing_file = pw.ForeignKeyField(StoredFile, null=True, backref="+")
    filed_by_consultant = pw.BooleanField(default=False)
    # G-24's stopping clock (migration 0020): the review's working days left while the client owes documents;
    # None while the clock runs or where there is none. The lists sort and count overdue by it.
    clock_left = pw.IntegerField(null=True)

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
        return (
            cls.select(cls, Application)
            .join(Application)
            .where(cls.organisation == organisation)
            .order_by(cls.created_at.desc())
        )


STAGE_STATUSES = {
    "empty": _l("Не заполнено"),
    "progress": _l("Заполняется"),
    "filled": _l("Заполнено"),
    "skipped": _l("Пропущено"),
}


class StageState(BaseModel):
    """The status of one stage tab of an application, as the last save/done/skip left it."""

    application = pw.ForeignKeyField(Application, backref="stage_states", on_delete="CASCADE")
    stage = pw.CharField(max_length=64)
    status = pw.CharField(max_length=16, default="empty")
    updated_by = pw.ForeignKeyField(User, null=True, backref="+")
    updated_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "stage_state"
        indexes = ((("application", "stage"), True),)

    @property
    def label(self):
        return STAGE_STATUSES.get(self.status, self.status)


class FormData(BaseModel):
    """What was entered in one form of an application (JSON of field name -> value)."""

    application = pw.ForeignKeyField(Application, backref="form_data", on_delete="CASCADE")
    form_code = pw.CharField(max_length=64)
    data = pw.TextField(default="{}")
    updated_by = pw.ForeignKeyField(User, null=True, backref="+")
    updated_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "form_data"
        indexes = ((("application", "form_code"), True),)

    @property
    def values(self) -> dict:
        return json.loads(self.data or "{}")


class Comment(BaseModel):
    """A comment beside a field (G-20): a draft until its author presses "Сохранить"."""

    application = pw.ForeignKeyField(Application, backref="comments", on_delete="CASCADE")
    form_code = pw.CharField(max_length=64)
    field = pw.CharField(max_length=64)
    text = pw.TextField()
    author = pw.ForeignKeyField(User, backref="+")
    process = pw.CharField(max_length=64)
    created_at = pw.DateTimeField(default=utcnow)
    saved_at = pw.DateTimeField(null=True)

    class Meta:
        table_name = "comment"
        indexes = ((("application", "form_code"), False),)


class Transition(BaseModel):
    """One move of an application from a process to the next: the status history."""

    application = pw.ForeignKeyField(Application, backref="transitions", on_delete="CASCADE")
    action = pw.CharField(max_length=32)
    from_process = pw.CharField(max_length=64)
    to_process = pw.CharField(max_length=64)
    actor = pw.ForeignKeyField(User, backref="+")
    note = pw.TextField(default="")
    # A substitute acting for the first head: "действующий по доверенности № … за <first head>" (the legal record)
    on_behalf = pw.TextField(default="")
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "transition"


ATTACHMENT_KINDS = {
    "document": _l("Документ заявления"),
    "additional": _l("Дополнительный документ"),
    "request": _l("Запрос Биржи"),
    "letter": _l("Письмо (заключение) Биржи"),
    "signed": _l("Подписанный документ"),
    "replaced": _l("Заменённая версия документа"),  # kept for the history, shown nowhere else
}


class Attachment(BaseModel):
    application = pw.ForeignKeyField(Application, backref="attachments", on_delete="CASCADE")
    kind = pw.CharField(max_length=16)
    # a catalogue key (the Russian source text) shown in the reader's language (issue 15)
    title = key_field(max_length=500)
    file = pw.ForeignKeyField(StoredFile, backref="+")
    uploaded_by = pw.ForeignKeyField(User, backref="+")
    uploaded_at = pw.DateTimeField(default=utcnow)
    note = pw.TextField(default="")

    class Meta:
        table_name = "attachment"
        indexes = ((("application", "kind"), False),)

    @property
    def kind_label(self):
        return ATTACHMENT_KINDS.get(self.kind, self.kind)


class Signature(BaseModel):
    """A verified detached CMS signature of a document the server issued, kept unchanged."""

    application = pw.ForeignKeyField(Application, backref="signatures", on_delete="CASCADE")
    process = pw.CharField(max_length=64)
    document = pw.ForeignKeyField(StoredFile, backref="+")
    cms = pw.ForeignKeyField(StoredFile, backref="+")
    signer = pw.ForeignKeyField(User, backref="+")
    signer_name = pw.CharField(max_length=255)
    iin = pw.CharField(max_length=12)
    bin = pw.CharField(max_length=12)
    certificate_serial = pw.CharField(max_length=128)
    certificate_issuer = pw.CharField(max_length=500)
    signed_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "signature"


class ApplicationSecurity(BaseModel):
    """A security added on the dynamic form (G-16): its ISIN, the cascade path and its requirements."""

    application = pw.ForeignKeyField(Application, backref="securities", on_delete="CASCADE")
    isin = pw.CharField(max_length=12)
    path = pw.TextField()  # JSON list of cascade node ids, platform first
    form_code = pw.CharField(max_length=64)
    data = pw.TextField(default="{}")
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "application_security"
        indexes = ((("application", "isin"), True),)

    @property
    def node_ids(self) -> list[int]:
        return json.loads(self.path or "[]")

    @property
    def values(self) -> dict:
        return json.loads(self.data or "{}")


class CascadeNode(BaseModel):
    """One option of a dynamic form's cascade (Площадка > Сектор > Категория > Пакеты требований).
    The catalogue is data the Exchange's admins edit; a leaf names the form to fill."""

    catalogue = pw.CharField(max_length=32, index=True)
    parent = pw.ForeignKeyField("self", null=True, backref="children", on_delete="CASCADE")
    level = pw.IntegerField()
    label_ru = pw.CharField(max_length=255)
    label_kk = pw.CharField(max_length=255)
    label_en = pw.CharField(max_length=255)
    form_code = pw.CharField(max_length=64, default="")
    position = pw.IntegerField(default=0)
    is_active = pw.BooleanField(default=True)

    class Meta:
        table_name = "cascade_node"

    @property
    def label(self) -> str:
        from flask_babel import get_locale

        return getattr(self, f"label_{get_locale() or 'ru'}", None) or self.label_ru

    @classmethod
    def options(cls, catalogue: str, parent_id: int | None):
        query = cls.select().where((cls.catalogue == catalogue) & (cls.is_active == True))  # noqa: E712
        query = query.where(cls.parent.is_null() if parent_id is None else (cls.parent == parent_id))
        return list(query.order_by(cls.position, cls.id))


class OutgoingLetter(BaseModel):
    """The office's register of outgoing letters (migration 0016): "Исх. № <number> от <issued_on>"."""

    year = pw.IntegerField()
    sequence = pw.IntegerField()
    number = pw.CharField(max_length=32, unique=True)
    issued_on = pw.DateField()
    application = pw.ForeignKeyField(Application, null=True, backref="+", on_delete="SET NULL")
    title = pw.CharField(max_length=500)
    addressee = pw.CharField(max_length=500, default="")
    signatory = pw.ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "outgoing_letter"
        indexes = ((("year", "sequence"), True),)


CLOCK_EVENTS = {
    "started": _l("Срок рассмотрения начат"),
    "stopped": _l("Срок остановлен: запрошены документы"),
    "restarted": _l("Срок возобновлён: получен ответ"),
    "finished": _l("Рассмотрение завершено"),
}


class ClockEvent(BaseModel):
    """One event of the review's clock (migration 0020): on the Exchange's date ``day``, ``used`` working days of
    the review had been used and ``left`` were left; ``deadline`` is the review's deadline in force from then
    (none while the clock is stopped)."""

    application = pw.ForeignKeyField(Application, backref="clock_events", on_delete="CASCADE")
    kind = pw.CharField(max_length=16)
    process = pw.CharField(max_length=64)
    day = pw.DateField()
    used = pw.IntegerField()
    left = pw.IntegerField()
    deadline = pw.DateField(null=True)
    actor = pw.ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "clock_event"
        indexes = ((("application", "id"), False),)

    @property
    def label(self):
        return CLOCK_EVENTS.get(self.kind, self.kind)


class Snapshot(BaseModel):
    """What the application said (its forms' values, its documents in force, its securities) when it was sent back
    for more work (migration 0020): by its first head's return or by the Exchange's request for documents. Whoever
    sent it back sees, when it comes back, what changed since (core/workflow/changes.py)."""

    application = pw.ForeignKeyField(Application, backref="snapshots", on_delete="CASCADE")
    action = pw.CharField(max_length=32)
    process = pw.CharField(max_length=64)
    author = pw.ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    data = pw.TextField()
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "snapshot"
        indexes = ((("application", "id"), False),)

    @property
    def values(self) -> dict:
        return json.loads(self.data or "{}")

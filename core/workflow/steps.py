"""What each action does besides moving the application: the summary PDF, signatures, registration,
requests for documents, meetings, decisions, letters, archiving. Each returns an ``effect(app)``
that the engine runs inside the transition's transaction."""

import datetime
import json

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core import clock
from core.files import store
from core.notifications.service import notify
from core.pdf import render_pdf
from core.registry import LiveMap, step_actions
from core.workflow import engine
from core.workflow.cascade import resolve
from core.workflow.comments import save_comments
from core.workflow.forms import DECISIONS
from core.workflow.models import Application, ApplicationMember, Attachment, CascadeNode

# --- the summary of all forms (G-19) -------------------------------------------------------------


def display(field, value):
    """A stored value as a person reads it: choice labels, dates, yes/no."""
    if value is None or value == "" or value == []:
        return ""
    kind = field.type
    if kind == "BooleanField":
        return _("Да") if value else _("Нет")
    if kind in ("SelectField", "RadioField", "SelectMultipleField", "MultiCheckboxField"):
        labels = {}
        for choice in field.choices or []:
            key = getattr(choice, "value", None) if not isinstance(choice, tuple) else choice[0]
            label = getattr(choice, "label", None) if not isinstance(choice, tuple) else choice[1]
            labels[str(key)] = str(label)
        if isinstance(value, list):
            return "; ".join(labels.get(str(v), str(v)) for v in value)
        return labels.get(str(value), str(value))
    if kind == "DateField":
        try:
            return datetime.date.fromisoformat(value).strftime("%d.%m.%Y")
        except (TypeError, ValueError):
            return str(value)
    return str(value)


def form_rows(spec, values: dict) -> list[tuple[str, str, str]]:
    """(field name, label, value shown) of a form spec filled with ``values``."""
    form = spec.form(meta={"csrf": False}, formdata=None)
    rows = []
    for name, field in form._fields.items():
        if name in ("csrf_token", "submit"):
            continue
        rows.append((name, str(field.label.text), display(field, values.get(name))))
    return rows


class Live:
    """What an application says now, as ``summary`` reads it (a ``changes.Saved`` snapshot reads the same way)."""

    def __init__(self, app):
        self.app = app

    def form_values(self, code):
        return engine.form_values(self.app, code)

    def securities(self):
        return engine.securities(self.app)

    def documents(self):
        return engine.attachments(self.app, kinds=("document",))


def summary(app: Application, source=None) -> list[dict]:
    """Every stage of the application as sections of rows, for the summary page and its PDF; ``source`` reads the
    values (now by default, or as a snapshot kept them)."""
    source = source or Live(app)
    procedure = engine.definition(app)
    states = engine.stage_states(app)
    sections = []
    for stage in procedure.stages:
        state = states.get(stage.code)
        status = state.label if state else ""
        if stage.kind == "form":
            for spec in stage.forms:
                sections.append(
                    {
                        "title": f"{stage.title}: {spec.title}" if len(stage.forms) > 1 else stage.title,
                        "stage": stage.code,
                        "form_code": spec.code,
                        "status": status,
                        "rows": form_rows(spec, source.form_values(spec.code)),
                    }
                )
        elif stage.kind == "consultant":
            values = source.form_values(stage.code)
            rows = (
                [
                    (
                        "employee",
                        _("Работник финансового консультанта"),
                        f"{values.get('name', '')}, {values.get('organisation', '')}",
                    )
                ]
                if values
                else [
                    (
                        "employee",
                        _("Работник финансового консультанта"),
                        _("Этап пропущен") if state and state.status == "skipped" else "",
                    )
                ]
            )
            sections.append(
                {"title": stage.title, "stage": stage.code, "form_code": stage.code, "status": status, "rows": rows}
            )
        elif stage.kind == "securities":
            items = source.securities()
            if not items:
                sections.append(
                    {
                        "title": stage.title,
                        "stage": stage.code,
                        "form_code": stage.code,
                        "status": status,
                        "rows": [("none", _("Ценные бумаги"), _("Не добавлены"))],
                    }
                )
            for item in items:
                nodes = {n.id: n for n in CascadeNode.select().where(CascadeNode.id.in_(item.node_ids))}
                path = " › ".join(nodes[i].label for i in item.node_ids if i in nodes)
                rows = [("isin", "ISIN", item.isin), ("path", " › ".join(str(x) for x in stage.levels), path)]
                try:
                    spec = procedure.form_spec(item.form_code)
                    rows += form_rows(spec, item.values)
                except KeyError:
                    pass
                sections.append(
                    {
                        "title": f"{stage.title}: {item.isin}",
                        "stage": stage.code,
                        "form_code": f"security-{item.id}",
                        "status": status,
                        "rows": rows,
                    }
                )
        elif stage.kind == "documents":
            docs = source.documents()
            rows = [(f"doc-{d.id}", d.title, f"{d.file.original_name} (SHA-256 {d.file.sha256[:16]}…)") for d in docs]
            missing = [t for t in stage.documents if engine.document_key(t) not in {d.title for d in docs}]
            rows += [(f"missing-{i}", str(t), _("Не приложен")) for i, t in enumerate(missing)]
            sections.append(
                {"title": stage.title, "stage": stage.code, "form_code": stage.code, "status": status, "rows": rows}
            )
    return sections


def summary_pdf(app: Application, sections=None, document_code=None, change_sheet=None, since=None) -> bytes:
    """The summary; with ``change_sheet`` (``changes.sheet``) it opens with what changed since ``since``."""
    procedure = engine.definition(app)
    sections = sections if sections is not None else summary(app)
    printable = [{"title": s["title"], "rows": [(label, value) for _n, label, value in s["rows"]]} for s in sections]
    if change_sheet is not None:
        title = _("Лист изменений с %(date)s", date=clock.to_local(since).strftime("%d.%m.%Y %H:%M")) if since else ""
        changed = [{"title": f"{title}: {s['title']}", "rows": s["rows"]} for s in change_sheet]
        printable = (changed or [{"title": title, "rows": [(_("Изменения"), _("Ничего не изменилось."))]}]) + printable
    header = [
        {
            "title": _("Заявление"),
            "rows": [
                (_("Номер заявления"), app.number),
                (_("Процедура"), str(procedure.title)),
                (_("Инициатор допуска"), f"{app.organisation.display_name}, БИН {app.organisation.bin}"),
            ],
        }
    ]
    return render_pdf(
        "pdf/form.html",
        number=app.number,
        title=str(procedure.title),
        sections=header + printable,
        document_code=document_code,
    )


def form_pdf(app: Application, section: dict) -> bytes:
    return render_pdf(
        "pdf/form.html",
        number=app.number,
        title=section["title"],
        sections=[{"title": section["title"], "rows": [(label, value) for _n, label, value in section["rows"]]}],
    )


# --- effects of the actions ----------------------------------------------------------------------


def send_to_head(form, user):
    def effect(app):
        missing = engine.unfinished_stages(app)
        if missing:
            raise engine.WorkflowError(
                _(
                    "Не все этапы заполнены: %(stages)s. Нажмите «Готово» на каждом этапе "
                    "или «Пропустить этап», где это возможно.",
                    stages=", ".join(f"«{s.title}»" for s in missing),
                )
            )

    return effect


def return_(form, user):
    """ "Вернуть на доработку": the first head's comments beside the fields go back with it, saved."""

    def effect(app):
        save_comments(app, user)

    return effect


def approve(form, user):
    """ "Согласовано": the exact PDF the first head will sign is made now and kept unchanged."""

    def effect(app):
        from core.signing.service import issue

        save_comments(app, user)
        # The code printed on it is the one-time challenge the signature is bound to.
        app.signing_file = issue(
            app, "application", _("Заявление"), lambda code: summary_pdf(app, document_code=code), f"{app.number}.pdf"
        )
        app.save()

    return effect


def sign(form, user):
    """ "Отправить файл": the CMS (uploaded, or made by NCALayer in the browser) must sign exactly the document
    issued for signature, by the first head (or the authorised signer where allowed); it is kept with its
    evidence and the signed copy, sealed by the Exchange, joins the documents."""
    from core.signing import service

    cms_bytes = form.signature.data.read()

    def effect(app):
        if app.signing_file is None:
            raise engine.WorkflowError(_("Нет документа для подписи: попросите согласовать заявление заново."))
        document = service.document_for(app, app.signing_file, title=_("Заявление"))
        # A substitute signs with his own key (its IIN his, the organisation's BIN as always), first head's or
        # with the right to sign: the power of attorney in force is what lets him sign for the first head.
        poa = engine.acting_poa(user, app)
        try:
            service.accept(
                document,
                cms_bytes,
                user,
                expected_bin=app.organisation.bin,
                roles={"first_head", "authorised"} if poa else service.accepted_roles(app.organisation),
                process=app.process,
                on_behalf=poa.wording() if poa else "",
            )
        except service.SigningError as exc:
            if exc.code == "tampered":
                other = issued_elsewhere(app, cms_bytes)
                if other:
                    raise engine.WorkflowError(other) from exc
            if exc.code == "wrong_iin" and poa:
                raise engine.WorkflowError(
                    _(
                        "Документ подписан сертификатом другого лица: по доверенности № %(number)s подписывает "
                        "только %(name)s (ИИН %(iin)s), его собственным ключом.",
                        number=poa.number,
                        name=user.full_name,
                        iin=user.iin or "—",
                    )
                ) from exc
            raise engine.WorkflowError(exc.message) from exc
        Attachment.create(
            application=app,
            kind="signed",
            title=_l("Подписанное заявление") if app.process == "signing" else _l("Подписанный ответ на запрос"),
            file=document.signed_copy or app.signing_file,
            uploaded_by=user,
        )
        if app.submitted_at is None:
            from core.db import utcnow

            app.submitted_at = utcnow()
        app.save()

    return effect


def issued_elsewhere(app, cms_bytes) -> str:
    """When a signature is over another document the portal gave out for this application (the summary or a
    form's PDF downloaded from its page, an attached file), which one, in words; "" when it is none of them."""
    from core.audit.models import AuditEvent
    from core.signing.verify import signed_digest

    found = signed_digest(cms_bytes)
    if found is None or found[0] != "sha256":
        return ""
    digest = found[1].hex()
    for event in (
        AuditEvent.select()
        .where(
            (AuditEvent.object_type == "application")
            & (AuditEvent.object_id == str(app.id))
            & (AuditEvent.action == "application.download")
            & AuditEvent.details.contains(digest)
        )
        .order_by(AuditEvent.id.desc())
    ):
        if event.data.get("sha256") == digest:
            what = event.data.get("document")
            name = _("сводку по заявлению") if what == "summary" else _("PDF формы заявления")
            return _(
                "Подпись сделана не для документа на подпись, а для файла, который вы скачали %(date)s: "
                "%(name)s. Скачайте на этой странице «%(file)s» и подпишите его.",
                date=(event.created_at + datetime.timedelta(hours=5)).strftime("%d.%m.%Y %H:%M"),
                name=name,
                file=signing_name(app),
            )
    for item in engine.attachments(app):
        if item.file.sha256 == digest:
            return _(
                "Подпись сделана для приложенного документа «%(title)s», а не для документа на подпись. "
                "Скачайте на этой странице «%(file)s» и подпишите его.",
                title=item.title,
                file=signing_name(app),
            )
    return ""


def signing_name(app) -> str:
    """The file to sign as the signer sees it named: what it is and the application's number."""
    if app.process == "resigning":
        return _("Ответ на запрос Биржи %(number)s.pdf", number=app.number)
    return _("Заявление %(number)s.pdf", number=app.number)


def register(form, user):
    def effect(app):
        app.registration_number = form.registration_number.data.strip()
        app.registered_on = form.registered_on.data
        app.save()

    return effect


def request_documents(form, user):
    def effect(app):
        app.deadline = form.deadline.data
        app.save()

    return effect


def answer(form, user):
    def effect(app):
        count = len(form.uploads)
        for index, (filename, data, kind) in enumerate(form.uploads, 1):
            # titled by what it is (its file name is shown beside it)
            Attachment.create(
                application=app,
                kind="additional",
                title=_("Документ к ответу на запрос Биржи")
                if count == 1
                else _("Документ %(n)s из %(count)s к ответу на запрос Биржи", n=index, count=count),
                file=store(data, filename, kind),
                uploaded_by=user,
                note=form.note.data,
            )
        request_note = (
            engine.Transition.select()
            .where((engine.Transition.application == app) & (engine.Transition.action == "request_documents"))
            .order_by(engine.Transition.id.desc())
            .first()
        )
        sections = [
            {"title": _("Запрос Биржи"), "rows": [("", _("Запрошено"), request_note.note if request_note else "")]},
            {
                "title": _("Ответ на запрос"),
                "rows": [("", _("Ответ"), form.note.data)]
                + [("", _("Документ"), name) for name, _d, _k in form.uploads],
            },
        ]
        from core.signing.service import issue

        app.signing_file = issue(
            app,
            "answer",
            _("Ответ на запрос Биржи"),
            lambda code: render_pdf(
                "pdf/form.html",
                number=app.number,
                title=_("Ответ на запрос Биржи"),
                sections=[{"title": s["title"], "rows": [(lbl, val) for _n, lbl, val in s["rows"]]} for s in sections],
                document_code=code,
            ),
            f"{app.number}-answer.pdf",
        )
        app.save()

    return effect


def schedule(form, user):
    def effect(app):
        moment = datetime.datetime.combine(form.meeting_date.data, form.meeting_time.data)
        app.meeting_at = clock.to_utc(moment)  # entered on the Exchange's (Almaty) clock, kept in UTC
        app.save()

    return effect


def decide(form, user):
    """The decision of the meeting: recorded on the meeting's day or later, never before it is held."""

    def effect(app):
        held = engine.meeting_date(app)
        if held is not None and engine.today() < held:
            raise engine.WorkflowError(
                _(
                    "Заседание назначено на %(date)s: решение записывается в день заседания или позже.",
                    date=held.strftime("%d.%m.%Y"),
                )
            )
        app.decision = f"{DECISIONS[form.result.data]}. {form.note.data.strip()}"
        grounds = (getattr(form, "grounds", None) and form.grounds.data or "").strip()
        if grounds:
            app.decision += "\n" + _("Основание: %(grounds)s", grounds=grounds)
        app.decision_result = form.result.data  # what plugins compare, in any reader's language
        app.save()

    return effect


def issue_letter(form, user):
    def effect(app):
        from core.accounts.models import Organisation
        from core.signing.service import seal_letter

        # A real letter: the office's outgoing number and date, the addressee (its head and address), the decision
        # with its grounds, and who signs it.
        outgoing = engine.register_outgoing(app, form.title.data, user)
        procedure = engine.definition(app)

        def render(code):
            if form.file_bytes:
                return form.file_bytes
            return render_pdf(
                "workflow/letter_pdf.html",
                number=app.number,
                title=form.title.data,
                app=app,
                procedure=procedure,
                signer=user,
                document_code=code,
                outgoing=outgoing,
                exchange=Organisation.exchange(),
                head=engine.first_head_of(app.organisation_id),
                address=engine.company_address(app),
                meeting_day=engine.meeting_date(app),
                decision_body=procedure.decision_body,
            )

        # Sealed by the Exchange at once; the authorised person may add his signature to it afterwards.
        stored, _document = seal_letter(app, form.title.data, render)
        title = _(
            "%(title)s, исх. № %(number)s от %(date)s",
            title=form.title.data,
            number=outgoing.number,
            date=outgoing.issued_on.strftime("%d.%m.%Y"),
        )
        Attachment.create(application=app, kind="letter", title=title[:500], file=stored, uploaded_by=user)
        members = ApplicationMember.select(ApplicationMember.user).where(ApplicationMember.application == app)
        from core.accounts.models import User

        people = list(User.select().where(User.id.in_(members) & (User.organisation == app.organisation_id)))
        notify(
            people,
            "workflow.letter",
            procedure=engine.definition(app).title,
            executor=user.full_name,
            message=_l("Биржа направила по заявлению %(number)s: %(title)s.", number=app.number, title=form.title.data),
            link=f"/applications/{app.id}",
        )

    return effect


def archive(form, user):
    def effect(app):
        engine.archive_questionnaires(app)

    return effect


CORE_EFFECTS = {
    "send_to_head": send_to_head,
    "return": return_,
    "approve": approve,
    "sign": sign,
    "register": register,
    "request_documents": request_documents,
    "answer": answer,
    "schedule": schedule,
    "decide": decide,
    "issue_letter": issue_letter,
    "archive": archive,
}
# What every action of the current app does, the core's and the plugins' (``StepAction.effect``).
EFFECTS = LiveMap(step_actions, lambda action: action.effect, skip_none=True)


def security_levels(stage, args) -> list[dict]:
    chosen = [args.get(f"level{i}") for i in range(len(stage.levels))]
    return resolve(stage.catalogue, chosen, len(stage.levels))


def security_path(levels) -> str:
    return json.dumps([lv["selected"].id for lv in levels if lv["selected"] is not None])

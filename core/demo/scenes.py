"""Demo applications in the processes a new user wants to see, each taken there by the workflow engine the
way people do it (forms filled and marked "Готово", documents attached, "Направить первому руководителю",
"Согласовано", a detached CMS signature by the first head's demo key, registration by the office, the
decision body's meeting and decision, the Exchange's letter, archive):

- Demo Issuer: a listing application still being filled (a draft);
- Demo Audit: its recognition application waiting for its first head's approval (auditceo@demo.kz);
- Demo Candidate: its membership application under review at the Exchange (monitoring@exchange.demo);
- Demo Issuer: a non-listing application decided and archived, whose reusable forms became questionnaires.

Also writes the demo PKI (``core.signing.demo``): the signatures above need the first heads' keys. Idempotent:
an organisation that already has an application of the procedure is left as it is.
"""

import io
import random

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from flask import current_app
from werkzeug.datastructures import FileStorage, MultiDict

from core import clock
from core.accounts.models import Organisation, User
from core.demo.values import form_values
from core.files import store
from core.pdf import render_pdf
from core.workflow import engine, formdata, steps
from core.workflow.forms import ACTION_FORMS
from core.workflow.models import Application, Attachment

SEED = 20261205


def _user(email: str) -> User:
    return User.get(User.email == email)


# Fields whose shape the generic values of ``form_values`` do not meet.
VALUES = {
    "auditors.people": {
        "partners": 2,
        "partners_list": "Жумабеков Нурлан Серикович, 60%\nНурланова Дана Маратовна, 40%",
        "auditors_count": 2,
        "auditors_list": "Нурланова Дана Маратовна; МФ-0000123; 15.03.2012\n"
        "Жумабеков Нурлан Серикович; МФ-0000456; 20.06.2009",
        "international": 1,
    },
}


def _filled_form(spec, organisation, rng):
    """The form of ``spec`` with plausible values for ``organisation``, checked as "Готово" checks it."""
    values = form_values(spec.form, rng, organisation.name_ru)
    for name, field in spec.form(formdata=None, meta={"csrf": False})._fields.items():
        if name == "bin":
            values[name] = organisation.bin
        elif field.type == "BooleanField" and field.flags.required:
            values[name] = True  # a confirmation the applicant must tick
    values.update(VALUES.get(spec.code, {}))
    form = formdata.load_form(spec.form, values, prefix=spec.prefix)
    if not form.validate():
        raise RuntimeError(f"demo values for {spec.code} do not validate: {form.errors}")
    return form


def _demo_pdf(title: str, organisation) -> bytes:
    return render_pdf(
        "pdf/form.html",
        number="DEMO",
        title=title,
        sections=[{"title": organisation.name_ru, "rows": [("Документ", title), ("Примечание", "Демонстрационный")]}],
    )


def fill(app: Application, author: User, rng: random.Random, stages=None) -> None:
    """Fill the stages of the filling process (all of them unless ``stages`` names some) and mark each done."""
    for stage in engine.process_of(app).stages:
        if stages is not None and stage.code not in stages:
            continue
        if stage.kind == "documents":
            for title in stage.documents:
                key = engine.document_key(title)
                stored = store(_demo_pdf(key, app.organisation), f"{key[:60]}.pdf", "pdf")
                Attachment.create(application=app, kind="document", title=key, file=stored, uploaded_by=author.id)
            engine.mark_stage(app, stage, author, "filled", "stage.done")
        elif stage.kind == "consultant" and stage.skippable:
            engine.skip_stage(app, stage, author)
        elif stage.forms:
            forms = {spec.code: _filled_form(spec, app.organisation, rng) for spec in stage.forms}
            engine.save_forms(app, stage, forms, author, done=True)
        else:
            raise RuntimeError(f"the demo cannot fill the stage {stage.code!r} of {app.procedure}")


def act(app: Application, action: str, user: User, values: dict | None = None, files: dict | None = None):
    """One action as its page submits it: the action's own form, validated, and the engine's transition."""
    data = MultiDict(values or {})
    for name, (filename, content) in (files or {}).items():
        data.add(name, FileStorage(io.BytesIO(content), filename=filename))
    form = ACTION_FORMS[action](formdata=data, meta={"csrf": False})
    if not form.validate():
        raise RuntimeError(f"demo action {action} does not validate: {form.errors}")
    make_effect = steps.EFFECTS.get(action)
    note = form.note.data if hasattr(form, "note") and form.note.data else ""
    fresh = Application.get_by_id(app.id)
    return engine.transition(
        fresh, action, user, fresh.version, note=note, effect=make_effect(form, user) if make_effect else None
    )


def signature(app: Application, store_path) -> bytes:
    """The first head's detached CMS of the document issued for signature, made with its demo key store the
    way the README's two openssl commands make it."""
    from core.signing.demo import DEMO_PASSWORD
    from core.signing.pki import sign_detached_with_openssl

    key, cert, chain = pkcs12.load_key_and_certificates(store_path.read_bytes(), DEMO_PASSWORD.encode())
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    chain_pem = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in chain or ()) or None
    return sign_detached_with_openssl(
        app.signing_file.read(), cert.public_bytes(serialization.Encoding.PEM), key_pem, chain_pem=chain_pem
    )


def submitted(app, author, head, stores, rng) -> Application:
    """Filled, sent to the first head, approved, signed with its key, registered by the office."""
    fill(app, author, rng)
    app = act(app, "send_to_head", author)
    app = act(app, "approve", head, {"note": "Сведения проверены."})
    app = act(app, "sign", head, files={"signature": ("application.pdf.cms", signature(app, stores[head.email]))})
    today = engine.today()
    return act(
        app,
        "register",
        _user("office@exchange.demo"),
        {"registration_number": f"ВХ-{app.id:05d}", "registered_on": today.isoformat()},
    )


def _has(organisation, procedure_code: str) -> bool:
    return (
        Application.select()
        .where((Application.organisation == organisation) & (Application.procedure == procedure_code))
        .exists()
    )


def load(echo=print) -> None:
    from core.signing import demo as demo_pki

    procedures = current_app.extensions["is2in.procedures"]
    needed = ("listing.shares", "auditors.inclusion", "membership.admission", "nonlisting.admission")
    if any(code not in procedures for code in needed):
        echo("demo applications skipped: a plugin they need is disabled")
        return
    pki = demo_pki.ensure()
    if pki.made:
        echo(f"demo PKI written: root {pki.root}, key stores in {pki.root.parent.parent / 'demo'}")
    stores = pki.stores
    rng = random.Random(SEED)  # made-up demo values, the same on every load  # nosec B311
    org = {o.code: o for o in Organisation.select().where(Organisation.code.in_(("DEMO", "AUDT", "CAND")))}

    if not _has(org["DEMO"], "listing.shares"):
        app = engine.create(procedures["listing.shares"], org["DEMO"], _user("issuer@demo.kz"))
        fill(app, _user("issuer@demo.kz"), rng, stages=("general",))
        echo(f"application {app.number}: being filled (Demo Issuer)")

    if not _has(org["AUDT"], "auditors.inclusion"):
        author = _user("auditor@demo.kz")
        app = engine.create(procedures["auditors.inclusion"], org["AUDT"], author)
        fill(app, author, rng)
        act(app, "send_to_head", author, {"note": "Прошу согласовать и подписать."})
        echo(f"application {app.number}: waiting for the approval of auditceo@demo.kz (Demo Audit)")

    if not _has(org["CAND"], "membership.admission"):
        author = _user("candidate@demo.kz")
        app = engine.create(procedures["membership.admission"], org["CAND"], author)
        app = submitted(app, author, _user("candidateceo@demo.kz"), stores, rng)
        echo(f"application {app.number}: under review at the Exchange (Demo Candidate)")

    if not _has(org["DEMO"], "nonlisting.admission"):
        author = _user("issuer@demo.kz")
        app = engine.create(procedures["nonlisting.admission"], org["DEMO"], author)
        app = submitted(app, author, _user("ceo@demo.kz"), stores, rng)
        listing = _user("listing@exchange.demo")
        # The listing commission met a moment ago and decided, on the Exchange's clock.
        now = clock.local_now()
        app = act(app, "schedule", listing, {"meeting_date": now.date().isoformat(), "meeting_time": f"{now:%H:%M}"})
        app = act(app, "decide", listing, {"result": "approved", "note": "Допустить акции к обращению."})
        app = act(app, "issue_letter", listing, {"title": "Письмо Биржи о допуске к обращению"})
        app = act(app, "archive", listing)
        echo(f"application {app.number}: archived; its reusable forms are questionnaires of Demo Issuer")

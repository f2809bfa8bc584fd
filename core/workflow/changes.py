"""What changed since (issue 19.1): when an application is sent back for more work — returned by its first head, or
asked by the Exchange for more documents — what it says then is kept (a ``Snapshot``); when it comes back, whoever
sent it back sees, per field and per document, the old value beside the new one, unchanged sections folded, and the
comment beside its field. The same comparison is the change sheet of the summary PDF."""

import json
from types import SimpleNamespace

from flask_babel import gettext as _

from core.db import Prepared, Slot
from core.workflow import engine, steps
from core.workflow.comments import comments_by_field
from core.workflow.models import Application, ApplicationSecurity, Attachment, FormData, Snapshot

SENT_BACK = ("return", "request_documents")


def take(app: Application, action: str, process: str, user) -> Snapshot:
    """Keep what the application says now (inside the transition that sends it back)."""
    forms = {row.form_code: row.values for row in FormData.select().where(FormData.application == app)}
    securities = [
        {"id": s.id, "isin": s.isin, "path": s.node_ids, "form_code": s.form_code, "values": s.values}
        for s in ApplicationSecurity.select()
        .where(ApplicationSecurity.application == app)
        .order_by(ApplicationSecurity.id)
    ]
    documents = [
        {"id": a.id, "kind": a.kind, "title": a.title, "name": a.file.original_name, "sha256": a.file.sha256}
        for a in Attachment.select()
        .where((Attachment.application == app) & Attachment.kind.in_(("document", "additional")))
        .order_by(Attachment.id)
    ]
    data = {"forms": forms, "securities": securities, "documents": documents}
    return Snapshot.create(
        application=app, action=action, process=process, author=user, data=json.dumps(data, ensure_ascii=False)
    )


class Saved:
    """A snapshot read the way ``steps.summary`` reads an application."""

    def __init__(self, snapshot: Snapshot):
        self.data = snapshot.values

    def form_values(self, code):
        return self.data.get("forms", {}).get(code, {})

    def securities(self):
        return [
            SimpleNamespace(
                id=s["id"], isin=s["isin"], node_ids=s["path"], form_code=s["form_code"], values=s["values"]
            )
            for s in self.data.get("securities", [])
        ]

    def documents(self, kind="document"):
        return [
            SimpleNamespace(
                id=d["id"], title=d["title"], file=SimpleNamespace(original_name=d["name"], sha256=d["sha256"])
            )
            for d in self.data.get("documents", [])
            if d["kind"] == kind
        ]


# Every load of an application's page asks it: the SQL is built once per process (core.db.Prepared).
_LAST = Prepared(
    lambda: Snapshot.select().where(Snapshot.application == Slot("application")).order_by(Snapshot.id.desc()).limit(1)
)


def in_force(app: Application, viewer) -> Snapshot | None:
    """The snapshot the application is compared with on its page now: the last one taken, while the application is
    back with those who sent it back — the first head (approving or signing) after his return, the Exchange's
    department in the process it asked from (after a request for documents, or a return where the procedure lets the
    Exchange return it). The first head's return is the applicant's own business: the Exchange never sees it, and
    the applicant does not see the Exchange's working comparison."""
    last = _LAST.first(application=app)
    if last is None:
        return None
    procedure = engine.definition(app)
    try:
        sender = procedure.process(last.process).actor
    except KeyError:
        return None
    if engine.process_of(app).actor != sender or (sender != "first_head" and app.process != last.process):
        return None
    if viewer.is_staff != (sender in ("office", "department")):
        return None
    return last


def _keyed(section, by_label):
    """A section's rows by their key: the field's name, or for documents their title (a new upload is a new row)."""
    rows = {}
    for name, label, value in section["rows"]:
        key = label if by_label else name
        if key in rows:
            rows[key] = (rows[key][0], label, f"{rows[key][2]}; {value}")
        else:
            rows[key] = (name, label, value)
    return rows


def _section_key(section):
    return section["title"] if section["form_code"].startswith("security-") else section["form_code"]


def _additional(documents) -> dict:
    return {
        "title": _("Документы к ответу на запрос Биржи"),
        "stage": "",
        "form_code": "additional-documents",
        "rows": [
            (f"add-{d.id}", d.title, f"{d.file.original_name} (SHA-256 {d.file.sha256[:16]}…)") for d in documents
        ],
    }


def compare(app: Application, snapshot: Snapshot, viewer) -> list[dict]:
    """Every section of the application, old beside new: ``{"title", "form_code", "changed", "rows": [{"name",
    "label", "old", "new", "changed", "comments"}]}``; comments are the viewer's to see, beside their field."""
    saved = Saved(snapshot)
    old_sections = steps.summary(app, saved)
    new_sections = steps.summary(app, steps.Live(app))
    old_sections.append(_additional(saved.documents("additional")))
    new_sections.append(_additional(engine.attachments(app, kinds=("additional",))))
    documents_stages = {s.code for s in engine.definition(app).stages if s.kind == "documents"}
    comments = comments_by_field(app, viewer)
    old_by_key = {_section_key(s): s for s in old_sections}
    result, seen = [], set()
    new_keys = {_section_key(n) for n in new_sections}
    for section in new_sections + [s for s in old_sections if _section_key(s) not in new_keys]:
        key = _section_key(section)
        if key in seen:
            continue
        seen.add(key)
        by_label = section["stage"] in documents_stages or section["form_code"] == "additional-documents"
        old = _keyed(old_by_key.get(key, {"rows": []}), by_label)
        new = _keyed(section, by_label) if section in new_sections else {}
        rows = []
        for row_key in list(new) + [k for k in old if k not in new]:
            name, label, value = new.get(row_key) or old[row_key]
            before = old[row_key][2] if row_key in old else ""
            after = new[row_key][2] if row_key in new else ""
            if by_label:  # a document's row is the same while its files are
                changed = before != after
            else:
                changed = str(before) != str(after)
            found = comments.get((section["form_code"], name), [])
            if row_key in old and old[row_key][0] != name:
                found = found + comments.get((section["form_code"], old[row_key][0]), [])
            rows.append(
                {"name": name, "label": label, "old": before, "new": after, "changed": changed, "comments": found}
            )
        if not rows:
            continue
        result.append(
            {
                "title": section["title"],
                "form_code": section["form_code"],
                "changed": any(r["changed"] for r in rows),
                "rows": rows,
            }
        )
    return result


def sheet(sections) -> list[dict]:
    """The change sheet of the summary PDF: the changed rows only, as (label, "было → стало") pairs."""
    printable = []
    for section in sections:
        rows = [
            (row["label"], _("Было: %(old)s\nСтало: %(new)s", old=row["old"] or "—", new=row["new"] or "—"))
            for row in section["rows"]
            if row["changed"]
        ]
        if rows:
            printable.append({"title": section["title"], "rows": rows})
    return printable

"""The scale demo (`is2in demo --scale`): a thousand companies, five thousand users, twenty thousand applications
with their whole histories and two hundred thousand notifications, for benchmarks and for trying the lists at the
size the Exchange works at.

Rows are written with ``insert_many`` in batches, inside one transaction: a run either loads everything or nothing,
and a second run refuses (the audit trail records the first). Ids are given here rather than by the database so
that children can name their parents without a round trip per row. Histories follow each procedure's own chain
(its processes and transitions, as plugins declare them), with the detours people take (returns to the applicant,
requests for more documents), and every event is appended to the audit trail's hash chain exactly as
``core.audit.record`` would, so `is2in audit verify` holds after the load."""

import datetime
import functools
import itertools
import json
import random

import peewee
from flask import current_app
from flask_babel import force_locale

from core import audit, clock
from core.accounts.models import Organisation, OrganisationRole, StaffRole, User
from core.accounts.validators import control_digit
from core.audit.models import AuditEvent
from core.auth.passwords import hash_password
from core.db import db, utcnow
from core.demo import DEMO_PASSWORD
from core.demo.values import cascade_leaves, form_values, latin
from core.demo.walks import walk
from core.notifications.models import Notification
from core.partnerships.models import Partnership
from core.workdays import add_working_days
from core.workflow.cascade import make_isin
from core.workflow.forms import DECISIONS
from core.workflow.models import (
    Application,
    ApplicationMember,
    ApplicationSecurity,
    ClockEvent,
    Comment,
    FormData,
    Questionnaire,
    StageState,
    Transition,
)

SIZES = {"companies": 1000, "users": 5000, "applications": 20000, "notifications": 200000}
MARKER = "demo.scale"  # the audit action that says the scale demo is loaded
BATCH = 500  # rows per INSERT: under SQLite's limit of bound variables for the widest table here
SEED = 20240401

# Company roles, by share of the companies.
ROLE_MIX = (
    (("issuer",), 0.62),
    (("consultant", "member"), 0.08),
    (("member",), 0.12),
    (("auditor",), 0.08),
    (("candidate",), 0.05),
    (("issuer", "member"), 0.05),
)
# The Exchange's staff, by department (at full size; a smaller --factor keeps at least two each).
STAFF = {"listing": 24, "office": 10, "monitoring": 10, "auditors": 6, "trading": 6, "board": 4, "management": 3}
# Where applications end up, by process code: most are archived, the rest at every step of the chain.
OUTCOMES = {
    "archived": 0.55,
    "withdrawn": 0.04,
    "fill": 0.14,
    "approval": 0.03,
    "signing": 0.03,
    "registration": 0.03,
    "review": 0.07,
    "additional": 0.03,
    "resigning": 0.01,
    "meeting": 0.03,
    "result": 0.02,
    "closing": 0.02,
}
CATEGORY_WEIGHTS = {"listing": 0.55, "nonlisting": 0.15, "auditors": 0.08, "membership": 0.07, "disclosure": 0.15}


FIRST = ("Алтын", "Казах", "Сары", "Жетысу", "Астана", "Каспий", "Тениз", "Арал", "Байтерек", "Шыгыс", "Батыс")
FIRST += ("Сункар", "Акжол", "Нур", "Ертис", "Тараз", "Улытау", "Алатау", "Хан", "Кокше", "Семей", "Ordabasy")
SECOND = ("Энерго", "Мунай", "Транс", "Телеком", "Агро", "Металл", "Финанс", "Строй", "Инвест", "Газ", "Капитал")
SECOND += ("Логистик", "Фарм", "Цемент", "Банк", "Лизинг", "Сервис", "Медиа", "Девелопмент", "Уголь", "Полиметалл")
TAIL = ("", "", "", " Групп", " Холдинг", " Казахстан", " Инвест", " Ресурс")
LAST = ("Ахметов", "Садыков", "Нурланов", "Ибраев", "Омаров", "Жунусов", "Касымов", "Серикбаев", "Токаев", "Беков")
LAST += ("Ержанов", "Оспанов", "Алиев", "Ким", "Петров", "Иванов", "Абенов", "Мусин", "Темиров", "Жаксылыков")
FIRST_M = ("Ерлан", "Арман", "Тимур", "Нурлан", "Ерик", "Виктор", "Андрей", "Марат", "Даурен", "Асхат", "Бауыржан")
FIRST_F = ("Айгерим", "Дана", "Алия", "Гульнара", "Мадина", "Асель", "Жанна", "Сауле", "Лаура", "Динара", "Камила")
PATRONYMIC_M = ("Сергеевич", "Маратович", "Нурланович", "Ерланович", "Аскарович", "")
PATRONYMIC_F = ("Сергеевна", "Маратовна", "Нурлановна", "Ерлановна", "Аскаровна", "")
POSITIONS = ("Главный бухгалтер", "Финансовый директор", "Юрист", "Специалист отдела корпоративных финансов")
POSITIONS += ("Менеджер по связям с инвесторами", "Корпоративный секретарь", "Аналитик", "Трейдер")
STAFF_POSITIONS = {
    "listing": "Специалист департамента листинга",
    "office": "Специалист канцелярии",
    "monitoring": "Специалист департамента мониторинга",
    "auditors": "Специалист отдела аудиторских организаций",
    "trading": "Специалист департамента торговли",
    "board": "Член Правления",
    "management": "Член Правления",
}


class AlreadyLoaded(Exception):
    """The scale demo is in this database already."""


def _xin(prefix: str, seq: int) -> str:
    """A valid 12-digit BIN/IIN from a 5- or 6-digit prefix and a sequence (skipping numbers with no check digit)."""
    while True:
        first11 = f"{prefix}{seq:0{11 - len(prefix)}d}"
        check = control_digit(first11)
        if check is not None:
            return first11 + str(check)
        seq += 1


class Writer:
    """Rows collected per table and written in batches; ids handed out here, continuing each table's own."""

    def __init__(self, echo):
        self.echo = echo
        self.rows: dict = {}
        self.counts: dict = {}
        self.next_ids: dict = {}

    def new_id(self, model) -> int:
        if model not in self.next_ids:
            self.next_ids[model] = (model.select(peewee.fn.MAX(model.id)).scalar() or 0) + 1
        value = self.next_ids[model]
        self.next_ids[model] += 1
        return value

    def add(self, model, row: dict) -> None:
        self.rows.setdefault(model, []).append(row)

    def flush(self) -> None:
        """Write what is collected, parents first: foreign keys are checked as rows arrive, so a flush comes
        only between whole applications."""
        for table in ORDER:
            rows = self.rows.pop(table, [])
            for start in range(0, len(rows), BATCH):
                table.insert_many(rows[start : start + BATCH]).execute()
            self.counts[table] = self.counts.get(table, 0) + len(rows)

    def reset_sequences(self) -> None:
        """PostgreSQL: the serial sequences continue after the ids given here."""
        if not isinstance(db.obj, peewee.PostgresqlDatabase):
            return
        for model in self.next_ids:
            table = model._meta.table_name
            db.execute_sql(  # table names of our own models, no input
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "  # nosec B608
                f'(SELECT COALESCE(MAX(id), 1) FROM "{table}"))'
            )


ORDER = (
    Organisation,
    OrganisationRole,
    User,
    StaffRole,
    Partnership,
    Application,
    ApplicationMember,
    StageState,
    FormData,
    ApplicationSecurity,
    Transition,
    ClockEvent,
    Comment,
    Questionnaire,
    AuditEvent,
    Notification,
)


class Chain:
    """Appends audit events with the same digest ``core.audit.record`` makes, continuing the existing chain."""

    def __init__(self, writer: Writer):
        self.writer = writer
        self.prev = audit._last_hash()

    def record(self, action, at, actor=None, organisation=None, obj_type="", obj_id="", ip="", **details):
        row = {
            "created_at": at.replace(microsecond=0),
            "actor": actor,
            "organisation": organisation,
            "action": action,
            "object_type": obj_type,
            "object_id": str(obj_id) if obj_id != "" else "",
            "ip": ip,
            "details": json.dumps(details, ensure_ascii=False, default=str, sort_keys=True),
        }
        digest = audit.digest(self.prev, row)
        self.writer.add(
            AuditEvent, {"id": self.writer.new_id(AuditEvent), **row, "prev_hash": self.prev, "hash": digest}
        )
        self.prev = digest


# --- the load ---------------------------------------------------------------------------------------------------


def loaded() -> bool:
    return AuditEvent.select().where(AuditEvent.action == MARKER).exists()


def load(factor: float = 1.0, echo=print, seed: int = SEED) -> dict:
    """Write the scale demo (``factor`` scales every size; 1.0 is the issue's). Needs `is2in demo` first."""
    if loaded():
        raise AlreadyLoaded(
            "the scale demo is already loaded in this database (see the audit trail's 'demo.scale' event); "
            "load it into a fresh database instead"
        )
    exchange = Organisation.exchange()
    if exchange is None:
        raise RuntimeError("the Exchange's organisation is missing: run `is2in demo` first")
    sizes = {name: max(1, round(count * factor)) for name, count in SIZES.items()}
    rng = random.Random(seed)  # made-up demo data, reproducible by its seed  # nosec B311
    started = utcnow()
    with db.atomic():
        writer = Writer(echo)
        chain = Chain(writer)
        with force_locale("ru"):
            companies, users, staff = _people(writer, chain, exchange, sizes, factor, rng)
            writer.flush()
            echo(f"{len(companies)} companies, {writer.counts[User]} users")
            _applications(writer, chain, companies, users, staff, sizes, rng)
            writer.flush()
        writer.reset_sequences()
        audit.record(MARKER, factor=factor, **sizes, seconds=round((utcnow() - started).total_seconds(), 1))
    counts = {model._meta.table_name: count for model, count in writer.counts.items()}
    echo("scale demo: " + ", ".join(f"{name} {count:,}" for name, count in counts.items()))
    return counts


def _people(writer, chain, exchange, sizes, factor, rng):
    now = utcnow()
    password = hash_password(DEMO_PASSWORD)
    codes = {c for (c,) in Organisation.select(Organisation.code).tuples()}
    companies = []
    weights = [w for _r, w in ROLE_MIX]
    for n in range(sizes["companies"]):
        roles = rng.choices([r for r, _w in ROLE_MIX], weights)[0]
        name = rng.choice(FIRST) + rng.choice(SECOND).lower() + rng.choice(TAIL)
        code = ""
        while not code or code in codes:
            code = "".join(rng.choice("ABCDEFGHIKLMNOPRSTUVXYZ") for _ in range(4))
        codes.add(code)
        org_id = writer.new_id(Organisation)
        created = now - datetime.timedelta(days=rng.randint(400, 2000))
        writer.add(
            Organisation,
            {
                "id": org_id,
                "code": code,
                "legal_form": "ТОО" if "auditor" in roles and rng.random() < 0.7 else "АО",
                "name_ru": name,
                "name_kk": name,
                "name_en": latin(name).title(),
                "bin": _xin(f"{rng.randint(95, 99):02d}{rng.randint(1, 12):02d}4", 500000 + n * 7),
                "is_active": True,
                "created_at": created,
            },
        )
        for role in roles:
            writer.add(OrganisationRole, {"id": writer.new_id(OrganisationRole), "organisation": org_id, "role": role})
        # how busy the company is: a few file and staff a lot, most a little
        activity = rng.paretovariate(1.3)
        companies.append(
            {"id": org_id, "code": code, "name": name, "roles": set(roles), "users": [], "activity": activity}
        )
        chain.record("organisation.create", created, organisation=org_id, obj_type="organisation", obj_id=org_id)

    emails = set()
    users = {}

    def person(org, position, *, head=False, admin=False, email_domain=None):
        female = rng.random() < 0.45
        last = rng.choice(LAST)
        last += "а" if female and last.endswith(("ов", "ев", "ин")) else ""
        first = rng.choice(FIRST_F if female else FIRST_M)
        middle = rng.choice(PATRONYMIC_F if female else PATRONYMIC_M)
        user_id = writer.new_id(User)
        domain = email_domain or f"{org['code'].lower()}.kz"
        email = f"{latin(first)}.{latin(last)}.{user_id}@{domain}"
        emails.add(email)
        born = datetime.date(rng.randint(1960, 1999), rng.randint(1, 12), rng.randint(1, 28))
        iin = _xin(f"{born:%y%m%d}{rng.choice('3456')}", rng.randint(0, 9000))
        row = {
            "id": user_id,
            "organisation": org["id"],
            "email": email,
            "first_name": first,
            "last_name": last,
            "middle_name": middle,
            "position": position,
            "phone": f"+7 7{rng.randint(10, 29)} {rng.randint(100, 999)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
            "iin": iin,
            "is_first_head": head,
            "is_org_admin": admin,
            "is_active": True,
            "password_hash": password,
            "password_changed_at": now - datetime.timedelta(days=rng.randint(0, 20)),
            "must_change_password": False,  # a flag, not a password  # nosec B105
            "failed_logins": 0,
            "last_login_at": now - datetime.timedelta(hours=rng.randint(1, 500)),
            "locale": "ru",
            "created_at": now - datetime.timedelta(days=rng.randint(60, 700)),
        }
        writer.add(User, row)
        org["users"].append(user_id)
        users[user_id] = {"id": user_id, "org": org["id"], "name": f"{last} {first} {middle}".strip(), "head": head}
        chain.record("user.create", row["created_at"], organisation=org["id"], obj_type="user", obj_id=user_id)
        return user_id

    kase = {"id": exchange.id, "code": exchange.code, "users": []}
    staff = {}
    for department, count in STAFF.items():
        for _ in range(max(2, round(count * factor))):
            user_id = person(kase, STAFF_POSITIONS[department], email_domain="kase.kz")
            writer.add(StaffRole, {"id": writer.new_id(StaffRole), "user": user_id, "department": department})
            staff.setdefault(department, []).append(user_id)
    # Every company has its first head and an admin; the rest of the users are spread unevenly.
    for org in companies:
        person(org, "Председатель Правления" if org["roles"] & {"issuer", "member"} else "Директор", head=True)
        person(org, rng.choice(POSITIONS), admin=True)
    left = max(0, sizes["users"] - len(users))
    for org in rng.choices(companies, [c["activity"] for c in companies], k=left):
        person(org, rng.choice(POSITIONS))

    # Issuers work with financial consultants (G-13): about half have one.
    consultants = [c for c in companies if "consultant" in c["roles"]]
    for org in companies:
        org["consultant"] = None
        if "issuer" in org["roles"] and consultants and rng.random() < 0.5:
            partner = rng.choice(consultants)
            org["consultant"] = partner
            writer.add(
                Partnership,
                {
                    "id": writer.new_id(Partnership),
                    "client": org["id"],
                    "partner": partner["id"],
                    "kind": "consultant",
                    "created_at": now - datetime.timedelta(days=rng.randint(100, 900)),
                },
            )
    return companies, users, staff


def _applications(writer, chain, companies, users, staff, sizes, rng):
    app = current_app
    procedures = [p for p in app.extensions["is2in.procedures"].values() if p.can_be_filed]
    filers = {p.code: [c for c in companies if c["roles"] & set(p.filers)] for p in procedures}
    busy = {code: list(itertools.accumulate(c["activity"] for c in pool)) for code, pool in filers.items()}
    procedures = [p for p in procedures if filers[p.code]]
    if not procedures:
        return
    weights = []
    for procedure in procedures:
        same = sum(1 for p in procedures if p.category == procedure.category)
        weights.append(CATEGORY_WEIGHTS.get(procedure.category, 0.05) / same)
    leaves = cascade_leaves()
    now = utcnow()
    notes = Notes(writer, users, sizes["notifications"], sizes["applications"], rng)
    for n in range(sizes["applications"]):
        procedure = rng.choices(procedures, weights)[0]
        org = rng.choices(filers[procedure.code], cum_weights=busy[procedure.code])[0]
        codes = {p.code for p in procedure.processes}
        outcomes = [(code, weight) for code, weight in OUTCOMES.items() if code in codes]
        goal = rng.choices([c for c, _w in outcomes], [w for _c, w in outcomes])[0]
        steps = walk(procedure, goal, rng)
        finished = goal in ("archived", "withdrawn")
        created = now - datetime.timedelta(
            days=rng.uniform(30, 720) if finished else rng.uniform(1, 60), hours=rng.uniform(0, 10)
        )
        _application(writer, chain, notes, procedure, org, users, staff, steps, created, leaves, rng)
        notes.next_application()
        if (n + 1) % 2000 == 0:
            writer.flush()
            writer.echo(f"applications: {n + 1:,}")
    notes.finish()


@functools.lru_cache(maxsize=4096)
def _deadline(day: datetime.date, count: int) -> datetime.date:
    return add_working_days(day, count)


def _application(writer, chain, notes, procedure, org, users, staff, steps, created, leaves, rng):
    now = utcnow()
    app_id = writer.new_id(Application)
    number = f"{procedure.prefix}-{created.year}-{app_id:05d}"
    org_users = org["users"]
    head = next(u for u in org_users if users[u]["head"])
    others = [u for u in org_users if u != head] or [head]
    consultant = org.get("consultant")
    by_consultant = bool(procedure.consultant_files and consultant and rng.random() < 0.2)
    author = rng.choice(consultant["users"][1:] or consultant["users"]) if by_consultant else rng.choice(others)
    applicant = others[0] if by_consultant else author  # who sends for the organisation
    ip = f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
    members = {(author, "author")}
    if by_consultant:
        members |= {(u, "executor") for u in others[:1]}
    chain.record(
        "application.create",
        created,
        actor=author,
        organisation=org["id"],
        obj_type="application",
        obj_id=app_id,
        ip=ip,
        number=number,
        procedure=procedure.code,
        version=procedure.version,
    )

    # Times: the steps spread between filing and now (finished ones long ago, open ones recently).
    gaps = [rng.uniform(2, 120) for _ in range(len(steps) + 1)]
    span = (now - created).total_seconds() / 3600 * 0.9
    scale = min(1.0, span / sum(gaps)) if gaps else 1.0
    moments, at = [], created
    for gap in gaps:
        at = at + datetime.timedelta(hours=gap * scale)
        moments.append(at)
    filled_at = moments[0]

    # The stages of filling: all done once it left "fill" for good; a draft is part-way through.
    stages = [s for p in procedure.processes for s in p.stages]
    left_fill = any(action == "send_to_head" for action, _f, _t in steps)
    done = len(stages) if left_fill else rng.randint(0, len(stages))
    assigned = None
    for index, stage in enumerate(stages):
        if index < done:
            status = "filled"
        elif index == done and not left_fill:
            status = rng.choice(("progress", "empty"))
        else:
            status = "empty"
        if stage.kind == "consultant" and status == "filled":
            if consultant and rng.random() < 0.7:
                assigned = rng.choice(consultant["users"])
                members.add((assigned, "consultant"))
                values = {
                    "employee": assigned,
                    "name": users[assigned]["name"],
                    "organisation": f"АО «{consultant['name']}»",
                }
                _form(writer, app_id, stage.code, values, applicant, filled_at)
                chain.record(
                    "stage.assign", filled_at, applicant, org["id"], "application", app_id, ip, stage=stage.code
                )
                notes.add(assigned, "workflow.assigned", procedure, users[applicant]["name"], app_id, filled_at, number)
            else:
                status = "skipped" if stage.skippable else "filled"
        if status in ("filled", "progress"):
            if stage.kind == "form":
                for spec in stage.forms:
                    _form(writer, app_id, spec.code, form_values(spec.form, rng, org["name"]), author, filled_at)
            elif stage.kind == "securities" and leaves.get(stage.catalogue):
                isins = set()
                for _ in range(rng.randint(1, 3)):
                    path, form_code = rng.choice(leaves[stage.catalogue])
                    isin = make_isin("KZ" + "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(9)))
                    if isin in isins:
                        continue
                    isins.add(isin)
                    try:
                        values = form_values(procedure.form_spec(form_code).form, rng, org["name"])
                    except KeyError:
                        values = {}
                    writer.add(
                        ApplicationSecurity,
                        {
                            "id": writer.new_id(ApplicationSecurity),
                            "application": app_id,
                            "isin": isin,
                            "path": json.dumps(path),
                            "form_code": form_code,
                            "data": json.dumps(values, ensure_ascii=False, sort_keys=True),
                            "created_at": filled_at,
                        },
                    )
                    chain.record("security.add", filled_at, author, org["id"], "application", app_id, ip, isin=isin)
        if status == "skipped" or (status == "filled" and stage.kind != "consultant"):
            action = "stage.skip" if status == "skipped" else "stage.done"
            chain.record(action, filled_at, author, org["id"], "application", app_id, ip, stage=stage.code)
        writer.add(
            StageState,
            {
                "id": writer.new_id(StageState),
                "application": app_id,
                "stage": stage.code,
                "status": status,
                "updated_by": author if status != "empty" else None,
                "updated_at": filled_at,
            },
        )

    # The way through the chain.
    fields = {"submitted_at": None, "archived_at": None, "registration_number": "", "registered_on": None}
    fields |= {"meeting_at": None, "decision": "", "decision_result": "", "deadline": None}
    heads = [head]
    last_action = None
    timer = None  # the review clock as the engine keeps it (core/workflow/reviewclock.py): the last event's figures
    for (action, source, target), at in zip(steps, moments[1:], strict=False):
        process = procedure.process(source)
        if process.actor == "first_head":
            actor = head
        elif process.actor == "office":
            actor = rng.choice(staff["office"])
        elif process.actor == "department":
            actor = rng.choice(staff.get(procedure.department) or staff["listing"])
        else:
            actor = applicant
        note = ""
        if action == "return":
            note = rng.choice(("Уточните сведения о бенефициарах.", "Приложите устав в последней редакции."))
            writer.add(
                Comment,
                {
                    "id": writer.new_id(Comment),
                    "application": app_id,
                    "form_code": stages[0].forms[0].code if stages and stages[0].forms else "general",
                    "field": "full_name",
                    "text": note,
                    "author": actor,
                    "process": source,
                    "created_at": at,
                    "saved_at": at,
                },
            )
        elif action == "request_documents":
            note = "Просим представить дополнительные документы."
            fields["deadline"] = _deadline(clock.date_of(at), 10)
        elif action == "sign" and fields["submitted_at"] is None:
            fields["submitted_at"] = at
        elif action == "register":
            fields["registration_number"] = f"{rng.randint(1, 9999):04d}-ВХ/{at:%y}"
            fields["registered_on"] = clock.date_of(at)
        elif action == "schedule":
            fields["meeting_at"] = at + datetime.timedelta(days=rng.randint(3, 14))
        elif action == "decide":
            result = "approved" if rng.random() < 0.85 else "refused"
            fields["decision"] = f"{DECISIONS[result]}. Протокол заседания № {rng.randint(1, 60)}."
            fields["decision_result"] = result
        elif action == "archive" or (target == "archived"):
            fields["archived_at"] = at
        writer.add(
            Transition,
            {
                "id": writer.new_id(Transition),
                "application": app_id,
                "action": action,
                "from_process": source,
                "to_process": target,
                "actor": actor,
                "note": note,
                "created_at": at,
            },
        )
        chain.record(
            f"application.{action}",
            at,
            actor,
            org["id"],
            "application",
            app_id,
            "" if process.actor in ("office", "department") else ip,
            number=number,
            from_process=source,
            to_process=target,
            note=note,
        )
        next_process = procedure.process(target)
        timer = _clock(writer, chain, timer, app_id, org["id"], process, next_process, action, actor, at)
        if next_process.actor == "first_head":
            members |= {(h, "first_head") for h in heads}
        # who is told (engine.transition): the next actor's people, less whoever acted
        if next_process.actor == "initiator":
            told = [u for u, role in members if role in ("author", "executor")]
        elif next_process.actor == "first_head":
            told = heads
        elif next_process.actor in ("office", "department"):
            department = "office" if next_process.actor == "office" else procedure.department
            told = staff.get(department) or []
        else:
            told = []
        for user_id in told:
            if user_id != actor:
                notes.add(user_id, "workflow.handoff", procedure, users[actor]["name"], app_id, at, number, target)
        if action == "issue_letter":
            for user_id, _role in sorted(members):
                if users[user_id]["org"] == org["id"]:
                    notes.add(user_id, "workflow.letter", procedure, users[actor]["name"], app_id, at, number)
        last_action = action

    final = procedure.process(steps[-1][2]) if steps else procedure.first_process
    status = "revision" if last_action == "return" else final.status
    if timer is not None and timer["kind"] in ("started", "restarted") and timer["process"] == final.code:
        fields["deadline"] = timer["deadline"]
    elif final.deadline_days is not None:
        fields["deadline"] = _deadline(clock.date_of(moments[len(steps)]), final.deadline_days)
    elif last_action != "request_documents" and final.code != "additional":
        fields["deadline"] = None
    if final.actor == "initiator":
        executor = author
    elif final.actor == "first_head":
        executor = head
    else:
        executor = None
    writer.add(
        Application,
        {
            "id": app_id,
            "number": number,
            "organisation": org["id"],
            "procedure": procedure.code,
            "procedure_version": procedure.version,
            "process": final.code,
            "status": status,
            "author": author,
            "executor": executor,
            "created_at": created,
            "version": len(steps),
            "filed_by_consultant": by_consultant,
            "clock_left": timer["left"] if timer is not None and timer["kind"] == "stopped" else None,
            **fields,
        },
    )
    for user_id, role in sorted(members):
        writer.add(
            ApplicationMember,
            {"id": writer.new_id(ApplicationMember), "application": app_id, "user": user_id, "role": role},
        )
    if final.code == "archived" and steps and steps[-1][0] != "withdraw":
        for stage in stages:
            for spec in stage.forms:
                if spec.reusable:
                    writer.add(
                        Questionnaire,
                        {
                            "id": writer.new_id(Questionnaire),
                            "organisation": org["id"],
                            "form_code": spec.code,
                            "title": str(spec.title),
                            "data": json.dumps(form_values(spec.form, rng, org["name"]), ensure_ascii=False),
                            "application": app_id,
                            "created_at": fields["archived_at"] or created,
                        },
                    )


def _clock(writer, chain, timer, app_id, org_id, source, target, action, actor, at):
    """The review clock's events of one move, exactly as ``reviewclock.on_move`` records them; returns the last."""
    from core.workdays import working_days_between
    from core.workflow.reviewclock import CLIENT_ACTORS, RUNNING, shift

    day = clock.date_of(at)

    def event(kind, process, used, left, deadline=None):
        row = {"kind": kind, "process": process, "day": day, "used": used, "left": left, "deadline": deadline}
        writer.add(
            ClockEvent,
            {"id": writer.new_id(ClockEvent), "application": app_id, "actor": actor, "created_at": at, **row},
        )
        chain.record(
            f"clock.{kind}",
            at,
            actor,
            org_id,
            "application",
            app_id,
            "",
            process=process,
            day=day.isoformat(),
            used=used,
            left=left,
            deadline=deadline.isoformat() if deadline else "",
        )
        return row

    if (
        timer is not None
        and timer["kind"] in RUNNING
        and timer["process"] == source.code
        and source.code != target.code
    ):
        passed = working_days_between(timer["day"], day)
        stops = target.actor in CLIENT_ACTORS and action != "withdraw"
        timer = event("stopped" if stops else "finished", source.code, timer["used"] + passed, timer["left"] - passed)
    elif action == "withdraw" and timer is not None and timer["kind"] == "stopped":
        timer = event("finished", timer["process"], timer["used"], timer["left"])
    if target.stopping_clock and source.code != target.code:
        if timer is not None and timer["kind"] == "stopped" and timer["process"] == target.code:
            timer = event("restarted", target.code, timer["used"], timer["left"], shift(day, timer["left"]))
        else:
            timer = event("started", target.code, 0, target.deadline_days, _deadline(day, target.deadline_days))
    return timer


def _form(writer, app_id, code, values, user, at):
    writer.add(
        FormData,
        {
            "id": writer.new_id(FormData),
            "application": app_id,
            "form_code": code,
            "data": json.dumps(values, ensure_ascii=False, sort_keys=True),
            "updated_by": user,
            "updated_at": at,
        },
    )


class Notes:
    """The notifications the histories cause (engine.transition tells everyone who acts next), kept to the size
    asked for: each is kept with the chance that leaves room for the applications still to come, and whatever is
    still missing at the end is made up of partnership notices."""

    def __init__(self, writer, users, total, applications, rng):
        self.writer, self.users, self.total, self.rng = writer, users, total, rng
        self.written = self.seen = self.done = 0
        self.left = applications
        self.keep = min(1.0, total / max(1, applications * 20))

    def next_application(self):
        self.done += 1
        self.left -= 1
        per_application = self.seen / self.done
        if per_application and self.left:
            self.keep = min(1.0, (self.total - self.written) / (per_application * self.left))

    def add(self, user_id, kind, procedure, executor, app_id, at, number, target=None):
        self.seen += 1
        if self.written >= self.total or self.rng.random() > self.keep:
            return
        if kind == "workflow.letter":
            message = f"Биржа направила по заявлению {number}: письмо (заключение)."
        elif kind == "workflow.assigned":
            message = f"Вас назначили исполнителем по заявлению {number}: заполните сведения."
        else:
            message = f"Заявление {number}: {procedure.process(target).title}."
        self._write(user_id, kind, str(procedure.title), executor, message, f"/applications/{app_id}", at)

    def _write(self, user_id, kind, procedure, executor, message, link, at):
        now = utcnow()
        read = at < now - datetime.timedelta(days=7) and self.rng.random() < 0.9
        self.writer.add(
            Notification,
            {
                "id": self.writer.new_id(Notification),
                "user": user_id,
                "kind": kind,
                "procedure": procedure[:255],
                "executor": executor[:255],
                "message": message,
                "link": link,
                "created_at": at,
                "read_at": at + datetime.timedelta(hours=self.rng.uniform(1, 72)) if read else None,
            },
        )
        self.written += 1

    def finish(self):
        ids = list(self.users)
        now = utcnow()
        while self.written < self.total:
            user_id = self.rng.choice(ids)
            at = now - datetime.timedelta(days=self.rng.uniform(0, 700))
            self._write(
                user_id, "partnership_added", "", "", "Добавлено партнерство с финансовым консультантом.", "", at
            )

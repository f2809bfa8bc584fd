"""Demo data: the organisations and accounts of the README's table, loaded idempotently."""

from core import audit, tasks
from core.accounts.models import Organisation, User
from core.accounts.validators import make_xin
from core.auth.passwords import hash_password
from core.db import utcnow
from core.partnerships.models import Partnership

DEMO_PASSWORD = "Demo!2345"  # the demo's published password (README), never a real one  # nosec B105

ORGANISATIONS = [
    # code, legal form, ru, kk, en, BIN (first 11 digits), roles
    (
        "KASE",
        "АО",
        "Казахстанская фондовая биржа",
        "Қазақстан қор биржасы",
        "Kazakhstan Stock Exchange",
        "93104000011",
        ["exchange"],
    ),
    ("DEMO", "АО", "Demo Issuer", "Demo Issuer", "Demo Issuer", "05014000021", ["issuer"]),
    ("BRKR", "АО", "Demo Broker", "Demo Broker", "Demo Broker", "04084000031", ["consultant", "member"]),
    ("AUDT", "ТОО", "Demo Audit", "Demo Audit", "Demo Audit", "06124000041", ["auditor"]),
    ("CAND", "АО", "Demo Candidate", "Demo Candidate", "Demo Candidate", "11034000051", ["candidate"]),
    ("SELL", "АО", "Demo Seller", "Demo Seller", "Demo Seller", "02054000061", ["member"]),
    ("BUY1", "АО", "Demo Buyer One", "Demo Buyer One", "Demo Buyer One", "03064000071", ["member"]),
    ("BUY2", "АО", "Demo Buyer Two", "Demo Buyer Two", "Demo Buyer Two", "07074000081", ["member"]),
    (
        "KACD",
        "АО",
        "Центральный депозитарий ценных бумаг",
        "Бағалы қағаздардың орталық депозитарийі",
        "Central Securities Depository",
        "97114000091",
        ["csd"],
    ),
]

USERS = [
    # email, org, last, first, position, IIN (first 11), first head, org admin, departments
    (
        "issuer@demo.kz",
        "DEMO",
        "Ахметова",
        "Айгерим",
        "Специалист отдела корпоративных финансов",
        "85010140001",
        False,
        True,
        (),
    ),
    ("ceo@demo.kz", "DEMO", "Сапаров", "Ерлан", "Председатель Правления", "70020230002", True, False, ()),
    ("broker@demo.kz", "BRKR", "Ким", "Виктор", "Финансовый консультант", "88030340003", False, True, ()),
    ("brokerceo@demo.kz", "BRKR", "Ли", "Константин", "Председатель Правления", "73050530020", True, False, ()),
    ("auditor@demo.kz", "AUDT", "Нурланова", "Дана", "Партнер по аудиту", "82040450004", False, True, ()),
    ("auditceo@demo.kz", "AUDT", "Жумабеков", "Нурлан", "Директор", "71030330018", True, False, ()),
    ("candidate@demo.kz", "CAND", "Ибраев", "Тимур", "Директор департамента", "86050560005", False, True, ()),
    (
        "candidateceo@demo.kz",
        "CAND",
        "Абдрахманова",
        "Салтанат",
        "Председатель Правления",
        "72040440019",
        True,
        False,
        (),
    ),
    ("seller@demo.kz", "SELL", "Омаров", "Арман", "Трейдер", "84060670006", False, True, ()),
    ("buyer1@demo.kz", "BUY1", "Жунусова", "Алия", "Трейдер", "90070780007", False, True, ()),
    ("buyer2@demo.kz", "BUY2", "Петров", "Андрей", "Трейдер", "87080890008", False, True, ()),
    ("csd@demo.kz", "KACD", "Касымова", "Гульнара", "Специалист по расчетам", "83091000009", False, True, ()),
    (
        "listing@exchange.demo",
        "KASE",
        "Токаева",
        "Мадина",
        "Главный специалист департамента листинга",
        "89101110010",
        False,
        False,
        ("listing",),
    ),
    (
        "office@exchange.demo",
        "KASE",
        "Серикова",
        "Асель",
        "Специалист канцелярии",
        "91111220011",
        False,
        False,
        ("office",),
    ),
    (
        "admin@exchange.demo",
        "KASE",
        "Бекова",
        "Жанна",
        "Администратор системы",
        "80121230012",
        False,
        False,
        ("admin",),
    ),
    # fmt: off
    (
        "trading@exchange.demo",
        "KASE",
        "Ержанов",
        "Нурлан",
        "Департамент торговли",
        "88011230013",
        False,
        False,
        ("trading",),
    ),
    (
        "board@exchange.demo",
        "KASE",
        "Алиева",
        "Сауле",
        "Член Правления",
        "75021230014",
        False,
        False,
        ("board", "management"),
    ),
    (
        "monitoring@exchange.demo",
        "KASE",
        "Оспанов",
        "Ерик",
        "Департамент мониторинга",
        "86031230015",
        False,
        False,
        ("monitoring",),
    ),
    (
        "auditors@exchange.demo",
        "KASE",
        "Садыкова",
        "Лаура",
        "Отдел аудиторских организаций",
        "87041230016",
        False,
        False,
        ("auditors",),
    ),
    # fmt: on
]


# The first heads of the organisations that file applications: each signs with a demo key of its own
# (``is2in pki demo`` writes <instance>/demo/<the part of the e-mail before @>.p12).
FIRST_HEADS = tuple(email for email, _code, *_rest in USERS if _rest[4])


def _fresh_confirmations(orgs, echo) -> None:
    """The demo's client organisations have their users confirmed afresh by their admin whenever the demo is
    loaded (``make run`` loads it each time): no demo account is found suspended, or its admin reminded,
    on a database loaded a year ago. Organisations not yet due are left as they are."""
    from core.confirmation import service as confirmation

    # The demo's organisations: the core's and those plugins add for their demo accounts (all @demo.kz).
    codes = {o.code for o in orgs.values()} | {
        u.organisation.code
        for u in User.select(User, Organisation).join(Organisation).where(User.email.endswith("@demo.kz"))
    }
    demo_orgs = Organisation.select().where(Organisation.code.in_(sorted(codes)))
    for st in confirmation.standings([o for o in demo_orgs if not o.is_exchange and o.is_active]):
        if st.state == "ok" or not st.admins:
            continue
        admin = (
            User.select()
            .where((User.organisation == st.organisation) & User.is_org_admin & (User.is_active == True))  # noqa: E712
            .order_by(User.id)
            .first()
        )
        confirmation.confirm(st.organisation, admin, {u.id: "keep" for u in confirmation.active_users(st.organisation)})
        echo(f"users of {st.organisation.code} confirmed afresh by {admin.email}")


def load(echo=print, scenes: bool = False) -> None:
    """The demo organisations and accounts; with ``scenes`` (`is2in demo`) also the applications,
    subscriptions and keys that show every part of the product, dated from now."""
    # One transaction; the tasks it queues (mail, register jobs) leave once it has committed.
    with tasks.change():
        existing = {u.id for u in User.select(User.id)}
        orgs = {}
        for code, form, ru, kk, en, bin11, roles in ORGANISATIONS:
            org = Organisation.get_or_none(Organisation.code == code)
            if org is None:
                org = Organisation.create(
                    code=code, legal_form=form, name_ru=ru, name_kk=kk, name_en=en, bin=make_xin(bin11)
                )
                org.set_roles(roles)
                echo(f"organisation {code}")
            orgs[code] = org
        hashed = None
        for email, code, last, first, position, iin11, head, admin, departments in USERS:
            if User.get_or_none(User.email == email) is not None:
                continue
            hashed = hashed or hash_password(DEMO_PASSWORD)
            user = User.create(
                organisation=orgs[code],
                email=email,
                last_name=last,
                first_name=first,
                position=position,
                phone="+7 727 237 53 00",
                iin=make_xin(iin11),
                is_first_head=head,
                is_org_admin=admin,
                password_hash=hashed,
                password_changed_at=utcnow(),
            )
            if departments:
                user.set_departments(departments)
            echo(f"user {email}")
        if not Partnership.exists_between(orgs["DEMO"], orgs["BRKR"], "consultant"):
            Partnership.create(client=orgs["DEMO"], partner=orgs["BRKR"], kind="consultant")
            echo("partnership DEMO -> BRKR (consultant)")
        from flask import current_app

        hook = current_app.extensions["is2in.pm"].hook
        hook.is2in_demo_data(echo=echo)
        # Nobody has a phone for the demo accounts: they sign in with the password alone, though staff
        # and first heads need a second factor. Admins see the exemption and can clear it (README). The
        # core's demo accounts of a database loaded before the second factor existed get it too.
        from core.auth import mfa

        demo_accounts = User.select(User.id).where(User.email.in_([row[0] for row in USERS]))
        exempted = mfa.exempt_untouched(
            {u.id for u in User.select(User.id) if u.id not in existing} | {u.id for u in demo_accounts}, reason="demo"
        )
        if exempted:
            echo(f"{len(exempted)} demo account(s) exempt from the second factor: they sign in with the password")
        if scenes:
            from core.demo import scenes as demo_scenes

            demo_scenes.load(echo=echo)
            hook.is2in_demo_scenes(echo=echo)
        _fresh_confirmations(orgs, echo)
        audit.record("demo.load")
    echo(f"demo data ready; every demo account's password is {DEMO_PASSWORD}")

"""Subscription to securities through the Exchange (seed 004): a seller's placement, buyers' orders,
collateral, registers of accepted and satisfied orders, deals and settlement."""

from flask_babel import lazy_gettext as _l

from core import Link, MigrationSet, NotificationKind, PeriodicJob, hookimpl


@hookimpl
def is2in_blueprints():
    from plugins.subscription import api, book
    from plugins.subscription.registers.views import bp as registers_bp
    from plugins.subscription.settlement import bp as settlement_bp
    from plugins.subscription.views import bp

    return [bp, settlement_bp, book.bp, api.bp, api.tokens_bp, registers_bp]


@hookimpl
def is2in_menu_links(user):
    links = []
    if user.organisation.roles & {"member", "csd", "control", "issuer"}:
        links.append(Link("subscription.index", _l("Подписки"), order=45))
    if "member" in user.organisation.roles:
        links.append(Link("subscription_tokens.tokens", _l("Ключи API"), order=46))
    return links


@hookimpl
def is2in_staff_screens(user):
    return [
        Link("subscription.index", _l("Подписки"), order=40),
        Link("subscription.accounts", _l("Торгово-клиринговые счета"), order=41),
    ]


@hookimpl
def is2in_public_pages():
    return [Link("subscription.announcements", _l("Объявления о подписке"), order=30)]


@hookimpl
def is2in_notification_kinds():
    return [NotificationKind("subscription.update", _l("Подписка на ценные бумаги"))]


@hookimpl
def is2in_migrations():
    return MigrationSet("subscription", "plugins.subscription.migrations")


@hookimpl
def is2in_periodic_jobs():
    from huey import crontab

    from plugins.subscription.settlement import settlement_clock

    return [
        PeriodicJob(subscription_clock, crontab(minute="*")),
        PeriodicJob(settlement_clock, crontab(minute="*")),
        PeriodicJob(subscription_registers, crontab(minute="*")),
    ]


def subscription_clock():
    from plugins.subscription.clock import tick

    return tick()


def subscription_registers():
    """The registers' deadlines (S-8.1, S-9.3, S-9.6)."""
    from plugins.subscription.registers.calloff import enforce_deadlines

    return enforce_deadlines()


@hookimpl
def is2in_demo_data(echo):
    """Trade-clearing accounts with money for the demo members, and a control & collateral user."""
    from decimal import Decimal

    from core.accounts.models import Organisation, User
    from core.accounts.validators import make_xin
    from core.auth.passwords import hash_password
    from core.db import utcnow
    from plugins.subscription.models import TradeAccount

    control = Organisation.get_or_none(Organisation.code == "CTRL")
    if control is None:
        control = Organisation.create(
            code="CTRL",
            legal_form="АО",
            name_ru="Demo Custody",
            name_kk="Demo Custody",
            name_en="Demo Custody",
            bin=make_xin("99124000101"),
        )
        control.set_roles(["control"])
        echo("organisation CTRL (control & collateral system user)")
    if User.get_or_none(User.email == "control@demo.kz") is None:
        User.create(
            organisation=control,
            email="control@demo.kz",
            first_name="Марат",
            last_name="Султанов",
            position="Контролер",
            phone="+7 727 000 00 01",
            iin=make_xin("85121230017"),
            is_org_admin=True,
            password_hash=hash_password("Demo!2345"),
            password_changed_at=utcnow(),
        )
        echo("user control@demo.kz")
    for code, org_code, balance, controlled in (
        ("BUY1-KZT", "BUY1", "500000000", False),
        ("BUY2-KZT", "BUY2", "200000000", True),
        ("BRKR-KZT", "BRKR", "100000000", False),
        ("SELL-KZT", "SELL", "0", False),
    ):
        org = Organisation.get_or_none(Organisation.code == org_code)
        if org is not None and TradeAccount.get_or_none(TradeAccount.code == code) is None:
            TradeAccount.create(
                organisation=org,
                code=code,
                currency="KZT",
                balance=Decimal(balance),
                controller=control if controlled else None,
            )
            echo(f"trade-clearing account {code}")


@hookimpl
def is2in_demo_scenes(echo):
    """Three subscriptions at the steps worth seeing (``plugins.subscription.demo``)."""
    from plugins.subscription import demo

    demo.load(echo=echo)

"""One clock: the Exchange's.

Instants are stored as naive UTC datetimes (``utcnow()``). Every date a person reads or a rule counts —
registration dates, deadlines and "today", working days, membership since/until, stamps, the seal's
visible time, PDFs, registers, letters, e-mails, the subscription clock — is the Exchange's local date and
time: Asia/Almaty unless ``IS2IN_TIMEZONE`` names another IANA zone. Nothing in core/ or plugins/ takes a
business date from ``date.today()``, ``datetime.now()`` or ``utcnow().date()`` (tests/core/test_clock.py
scans for it): the machine's own zone and the UTC date are not the Exchange's.

Local values here are naive wall-clock datetimes in the Exchange's zone (what a person reads and types);
stored values are naive UTC. ``to_local`` and ``to_utc`` convert between them through the zone's rules
(zoneinfo), so a change of the zone's offset — Kazakhstan moved from UTC+6 to UTC+5 on 1 March 2024 — is
counted on the right side of it.
"""

import datetime
import functools
import os
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_ZONE = "Asia/Almaty"


@functools.cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def zone_name(environ=None) -> str:
    """The Exchange's zone: the app's ``TIMEZONE`` setting (from ``IS2IN_TIMEZONE``), else Asia/Almaty."""
    from flask import current_app, has_app_context

    if environ is None and has_app_context():
        name = current_app.config.get("TIMEZONE")
        if name:
            return name
    return (environ if environ is not None else os.environ).get("IS2IN_TIMEZONE") or DEFAULT_ZONE


def zone() -> ZoneInfo:
    return _zone(zone_name())


def checked_zone_name(name: str) -> str:
    """``name`` if it is a zone the machine knows; a clear error at start-up otherwise."""
    try:
        _zone(name)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise ValueError(f"IS2IN_TIMEZONE={name!r} is not an IANA time zone (for example Asia/Almaty)") from e
    return name


def utcnow() -> datetime.datetime:
    """Now as a stored instant: naive UTC."""
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


def to_local(moment: datetime.datetime) -> datetime.datetime:
    """A stored instant (naive UTC, or aware) as the Exchange's naive local date and time."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.astimezone(zone()).replace(tzinfo=None)


def to_utc(moment: datetime.datetime) -> datetime.datetime:
    """The Exchange's local date and time (naive), or an aware moment, as the naive UTC instant stored."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone())
    return moment.astimezone(datetime.UTC).replace(tzinfo=None)


def aware(moment: datetime.datetime) -> datetime.datetime:
    """A stored instant (naive UTC) as an aware datetime in the Exchange's zone."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.astimezone(zone())


def local_now() -> datetime.datetime:
    """Now on the Exchange's wall clock (naive)."""
    return to_local(utcnow())


def today() -> datetime.date:
    """The Exchange's date now: the one registrations, deadlines and "today" are counted in."""
    return local_now().date()


def date_of(moment: datetime.datetime | None) -> datetime.date | None:
    """The Exchange's date of a stored instant (naive UTC)."""
    return to_local(moment).date() if moment is not None else None


def at(day: datetime.date, time: datetime.time = datetime.time()) -> datetime.datetime:
    """The stored instant (naive UTC) of a time of day on an Exchange date."""
    return to_utc(datetime.datetime.combine(day, time))


def zone_label() -> str:
    """How a time's zone is named beside it on a page or stamp: "Алматы" for Asia/Almaty, else the
    zone's own name and offset."""
    name = zone_name()
    if name == DEFAULT_ZONE:
        return "Алматы"
    offset = aware(utcnow()).strftime("%z")
    return f"{name} UTC{offset[:3]}:{offset[3:]}"


def stamped(moment: datetime.datetime | None = None, pattern: str = "%d.%m.%Y %H:%M:%S") -> str:
    """A stored instant (now by default) as a stamp or seal prints it: the Exchange's time, its zone named
    ("05.12.2026 00:44:00 (время Алматы)"). The signature's stamp and the seal use this one wording."""
    shown = to_local(moment if moment is not None else utcnow()).strftime(pattern)
    return f"{shown} (время {zone_label()})"

"""Plain data that hooks return: menu and staff-screen links, notification kinds."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Link:
    """A menu entry: ``endpoint`` is a Flask endpoint name; ``label`` a (lazily translated) string."""

    endpoint: str
    label: str
    order: int = 100
    values: dict = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class PeriodicJob:
    """A function the task queue runs on ``schedule`` (a ``huey.crontab``), once per slot across
    workers, inside an app context. It takes no arguments."""

    function: object
    schedule: object


@dataclass(frozen=True)
class NotificationKind:
    """A kind of notification: ``code`` is stored on each notification, ``label`` shown to people."""

    code: str
    label: str
    email: bool = True

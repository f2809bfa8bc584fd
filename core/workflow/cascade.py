"""The dynamic form of G-16: ISINs and the cascade of lists, each depending on the choices above it."""

import re

from core.workflow.models import CascadeNode

ISIN_RE = re.compile(r"^[A-Z]{2}[A-Z0-9]{9}[0-9]$")


def isin_check_digit(first11: str) -> int:
    """ISO 6166: letters become two digits (A=10 .. Z=35), then Luhn over the digit string."""
    digits = "".join(str(int(c, 36)) for c in first11)
    total = 0
    for i, d in enumerate(reversed(digits)):
        n = int(d)
        if i % 2 == 0:  # the rightmost digit (next to the check digit) is doubled
            n *= 2
            n = n - 9 if n > 9 else n
        total += n
    return (10 - total % 10) % 10


def isin_problem(code: str) -> str | None:
    """None for a valid ISIN, else which rule it breaks ("format" or "check")."""
    if not ISIN_RE.match(code or ""):
        return "format"
    if isin_check_digit(code[:11]) != int(code[11]):
        return "check"
    return None


def make_isin(first11: str) -> str:
    return first11 + str(isin_check_digit(first11))


def resolve(catalogue: str, chosen: list, depth: int) -> list[dict]:
    """The levels to show for the choices so far: each with its options and the valid choice.

    A choice that is not an active child of the previous one is dropped with everything after it,
    so a tampered or stale request never reaches a form that branch does not have. A level with no
    options ends the cascade: that branch has no form (G-16).
    """
    # The catalogue's active nodes in one read (a catalogue is a few dozen nodes), each parent's in the order
    # ``CascadeNode.options`` gives them: one query for the cascade instead of one per level shown.
    children = {}
    active = (CascadeNode.catalogue == catalogue) & (CascadeNode.is_active == True)  # noqa: E712
    for node in CascadeNode.select().where(active).order_by(CascadeNode.position, CascadeNode.id):
        children.setdefault(node.parent_id, []).append(node)
    levels = []
    parent = None
    for level in range(depth):
        options = children.get(parent.id if parent else None, [])
        if not options:
            break
        raw = chosen[level] if level < len(chosen) else None
        selected = next((o for o in options if str(o.id) == str(raw or "")), None)
        levels.append({"level": level, "options": options, "selected": selected})
        if selected is None:
            break
        parent = selected
    return levels


def leaf(levels: list[dict], depth: int):
    """The chosen leaf (the requirement package) when every level is chosen, else None."""
    if len(levels) == depth and levels[-1]["selected"] is not None and levels[-1]["selected"].form_code:
        return levels[-1]["selected"]
    return None

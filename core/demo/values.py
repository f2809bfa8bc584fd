"""Made-up values for the demo's forms: plausible answers to every field of a form, and the cascade's leaves a
security can be put under. Shared by the scale demo, the demo's scenes and the benchmarks (``bench/documents.py``),
so they are public here rather than private helpers of one of them."""

import datetime
import random

from core import clock
from core.workflow.cascade import make_isin
from core.workflow.models import CascadeNode

PHRASES = (
    "Эмитент осуществляет деятельность в соответствии с законодательством Республики Казахстан.",
    "Сведения подтверждены данными последней аудированной финансовой отчетности.",
    "Компания раскрывает информацию на интернет-ресурсе депозитария финансовой отчетности.",
    "Бенефициарные собственники определены по данным реестра держателей ценных бумаг.",
    "Решение принято советом директоров, протокол прилагается.",
    "Средства от размещения будут направлены на финансирование инвестиционной программы.",
)
TRANSLIT = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюяәғқңөұүһі",
        "a b v g d e e zh z i y k l m n o p r s t u f kh ts ch sh sch _ y _ e yu ya a g k n o u u h i".split(),
        strict=True,
    )
)


def latin(text: str) -> str:
    """A Cyrillic (Russian or Kazakh) name in Latin letters, for made-up e-mail addresses and web sites."""
    return "".join(TRANSLIT.get(c, c) for c in text.lower()).replace("_", "")


# --- form values ------------------------------------------------------------------------------------------------


def _limits(field):
    low = high = None
    for validator in field.validators:
        low = getattr(validator, "min", None) if getattr(validator, "min", None) is not None else low
        high = getattr(validator, "max", None) if getattr(validator, "max", None) is not None else high
    return low, high


def _choice_values(field) -> list[str]:
    values = []
    for choice in field.choices or []:
        value = choice[0] if isinstance(choice, tuple) else getattr(choice, "value", None)
        if value not in (None, ""):
            values.append(str(value))
    return values


def form_values(form_class, rng: random.Random, company: str) -> dict:
    """Plausible values for every field of a form, stored as the engine stores a submitted form."""
    form = form_class(formdata=None, meta={"csrf": False})
    values = {}
    for name, field in form._fields.items():
        kind = field.type
        if name in ("csrf_token", "submit") or kind in ("FileField", "MultipleFileField", "FieldList", "FormField"):
            continue
        low, high = _limits(field)
        if kind == "BooleanField":
            value = rng.random() < 0.8
        elif kind in ("SelectField", "RadioField"):
            options = _choice_values(field)
            value = rng.choice(options) if options else ""
        elif kind in ("SelectMultipleField", "MultiCheckboxField"):
            options = _choice_values(field)
            value = rng.sample(options, min(len(options), rng.randint(1, 2))) if options else []
        elif kind == "DateField":
            days = rng.randint(30, 3650)
            future = "maturity" in name or "until" in name or "end" in name
            value = (clock.today() + datetime.timedelta(days=days if future else -days)).isoformat()
        elif kind == "TimeField":
            value = f"{rng.randint(9, 17):02d}:00"
        elif kind in ("IntegerField", "DecimalField"):
            low = 1 if low is None else low
            high = (low + 1000 if low > 100 else 100) if high is None else high
            number = rng.uniform(float(low), float(high))
            value = int(number) if kind == "IntegerField" else f"{number:.2f}"
        elif kind == "EmailField" or "email" in name:
            value = f"info@{latin(company)[:20].replace(' ', '')}.kz"
        elif "isin" in name:
            value = make_isin("KZ" + "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(9)))
        elif "phone" in name:
            value = f"+7 7{rng.randint(10, 29)} {rng.randint(100, 999)} {rng.randint(10, 99)} {rng.randint(10, 99)}"
        elif "website" in name or "url" in name:
            value = f"https://{latin(company)[:20].replace(' ', '')}.kz"
        elif kind == "TextAreaField":
            value = field.default if isinstance(field.default, str) and field.default else rng.choice(PHRASES)
            value = str(value)
        else:
            value = company if ("name" in name or "issuer" in name) else f"{company}, {rng.choice(PHRASES)[:60]}"
        if isinstance(value, str):
            value = value[: _max_length(field)]
        values[name] = value
    return values


def _max_length(field) -> int:
    for validator in field.validators:
        if getattr(validator, "max", None) is not None and validator.__class__.__name__ == "Length":
            return max(1, validator.max)
    return 4000


def cascade_leaves() -> dict[str, list[list[int]]]:
    """Every cascade leaf that names a form, as the path of node ids from its platform down."""
    nodes = {n.id: n for n in CascadeNode.select().where(CascadeNode.is_active == True)}  # noqa: E712
    found = {}
    for node in nodes.values():
        if not node.form_code:
            continue
        path, here = [], node
        while here is not None:
            path.append(here.id)
            here = nodes.get(here.parent_id) if here.parent_id else None
        found.setdefault(node.catalogue, []).append((path[::-1], node.form_code))
    return found

"""The order schemas of the API's OpenAPI document (Order, OrderInput, OrderPatch), made from the fields the
service takes (``ORDER_FIELDS``) when the document is served: a field added to the order form and the service
is one added here or the document's test fails, instead of a hand-written copy falling behind."""

from plugins.subscription.models import ORDER_FIELDS

# Each field of an order as JSON carries it, in and out (the form's checks say the rest, in its words).
FIELDS = {
    "kind": {
        "type": "string",
        "enum": ["limit", "market"],
        "default": "limit",
        "description": "Вид заявки: лимитированная или рыночная.",
    },
    "basis": {
        "type": "string",
        "enum": ["quantity", "money"],
        "default": "quantity",
        "description": "Рыночная заявка на количество или на объем в деньгах.",
    },
    "price": {
        "type": ["string", "null"],
        "pattern": "^[0-9]+(\\.[0-9]{1,4})?$",
        "description": "Цена (лимитированная заявка), десятичное число строкой.",
        "examples": ["1000.0000"],
    },
    "yield_rate": {
        "type": ["string", "null"],
        "pattern": "^[0-9]+(\\.[0-9]{1,4})?$",
        "description": "Доходность, % годовых (долговые бумаги).",
    },
    "quantity": {"type": ["integer", "null"], "minimum": 1, "description": "Количество ценных бумаг."},
    "money": {
        "type": ["string", "null"],
        "pattern": "^[0-9]+(\\.[0-9]{1,2})?$",
        "description": "Объем в деньгах (рыночная заявка на объем).",
    },
    "for_client": {"type": "boolean", "default": False, "description": "Заявка за счет клиента (инвестора)."},
    "investor_name": {"type": "string", "maxLength": 255},
    "investor_id": {"type": "string", "description": "БИН/ИИН инвестора, 12 цифр.", "pattern": "^([0-9]{12})?$"},
    "investor_resident": {"type": "boolean", "default": True},
    "investor_contacts": {"type": "string", "maxLength": 255},
    "investor_other": {"type": "string", "maxLength": 500},
    "qualified": {
        "type": "boolean",
        "default": False,
        "description": "Квалифицированный инвестор (частное размещение: только они, п. 2.3).",
    },
    "omnibus": {
        "type": "boolean",
        "default": False,
        "description": "Агрегированный (омнибус) счет: сведения об инвесторах после окончания приема (п. 7.2).",
    },
}

ACCOUNT = {
    "type": "string",
    "description": "Код торгово-клирингового счета своей организации (например, BUY1-KZT).",
    "examples": ["BUY1-KZT"],
}
CONSENT = {
    "type": "boolean",
    "default": False,
    "description": "Согласие инвестора на раскрытие сведений о нем (п. 7.1), если условия подписки требуют "
    "сведений об инвесторах.",
}
CLIENT_REF_IN = {
    "type": "string",
    "minLength": 1,
    "maxLength": 64,
    "description": "Идентификатор заявки в системе члена Биржи: повтор с ним возвращает ранее принятую заявку.",
}
WINDOW_IN = {
    "type": ["string", "null"],
    "maxLength": 64,
    "description": "Окно приема заявок по названию, если подписка проводится в нескольких окнах "
    "(например, «Розничные»).",
}
VERSION_IN = {"type": "integer", "description": "Версия заявки из последнего ответа."}

# What only the answer carries: the order's number, status and what the Exchange's checks made of it.
ANSWER_HEAD = {
    "number": {"type": "integer"},
    "subscription": {"type": "string"},
    "status": {"type": "string", "enum": ["active", "cancelled", "removed", "refused", "rejected", "unsecured"]},
    "status_label": {"type": "string"},
}
ANSWER_TAIL = {
    "confirmed": {
        "type": ["boolean", "null"],
        "description": "Подтверждение пользователя системы контроля (п. 4.2); null — ожидается.",
    },
    "criteria_ok": {
        "type": ["boolean", "null"],
        "description": "Проверка ЦД по критериям (п. 6); null — не проводилась.",
    },
    "secured": {"type": "boolean", "description": "Деньги заблокированы в обеспечение (п. 5)."},
    "blocked": {"type": "string", "description": "Заблокированная сумма."},
    "submitted_at": {"type": "string", "format": "date-time"},
    "amended_at": {"type": ["string", "null"], "format": "date-time"},
    "version": {"type": "integer", "description": "Передайте в PATCH."},
    "client_ref": {"type": ["string", "null"]},
    "url": {"type": "string"},
    "window": {"type": ["string", "null"], "description": "Окно приема заявок, в которое подана заявка."},
}
ANSWER_REQUIRED = ["number", "subscription", "status", "account", "kind", "version", "submitted_at", "url"]


def _fields() -> dict:
    missing = set(ORDER_FIELDS) - set(FIELDS)
    if missing:
        raise LookupError(f"the OpenAPI document has no schema for the order fields {sorted(missing)}")
    return {name: FIELDS[name] for name in ORDER_FIELDS}


def order_schemas() -> dict:
    """Order (an answer), OrderInput (POST) and OrderPatch (PATCH), their order fields ``ORDER_FIELDS``."""
    fields = _fields()
    given = {"account": ACCOUNT, **fields, "consent": CONSENT}
    return {
        "Order": {
            "type": "object",
            "required": list(ANSWER_REQUIRED),
            "properties": {**ANSWER_HEAD, "account": ACCOUNT, **fields, **ANSWER_TAIL},
        },
        "OrderInput": {
            "type": "object",
            "required": ["account"],
            "additionalProperties": False,
            "properties": {**given, "client_ref": CLIENT_REF_IN, "window": WINDOW_IN},
        },
        "OrderPatch": {
            "type": "object",
            "required": ["version"],
            "additionalProperties": False,
            "properties": {**given, "version": VERSION_IN, "window": WINDOW_IN},
        },
    }

"""The read-only applications API in OpenAPI 3.1 terms: paths and schemas the served document
(/api/v1/openapi.json) includes beside the orders API's."""

_KEY = [{"readKey": []}]
_ERROR = {"$ref": "#/components/schemas/Error"}


def _json(schema, description):
    return {"description": description, "content": {"application/json": {"schema": schema}}}


SECURITY_SCHEMES = {
    "readKey": {
        "type": "http",
        "scheme": "bearer",
        "description": "Ключ организации только для чтения (is2in_ro_…): его создает администратор организации на "
        "странице «Интеграции» (/organisation/integrations/) со сроком действия до 365 дней; Биржа хранит только "
        "его SHA-256. Просроченный или отозванный ключ — 401.",
    }
}

SCHEMAS = {
    "Application": {
        "type": "object",
        "required": ["id", "number", "procedure", "process", "status"],
        "properties": {
            "id": {"type": "integer"},
            "number": {"type": "string"},
            "procedure": {"type": "string", "description": "Код процедуры"},
            "procedure_title": {"type": "string"},
            "process": {"type": "string", "description": "Код процесса, в котором заявление сейчас"},
            "process_title": {"type": "string"},
            "status": {"type": "string", "description": "draft, approval, revision, review, decided, archived, …"},
            "status_title": {"type": "string"},
            "deadline": {"type": ["string", "null"], "format": "date", "description": "Срок (дата по Алматы)"},
            "created_at": {"type": "string", "format": "date-time"},
            "submitted_at": {"type": ["string", "null"], "format": "date-time"},
            "archived_at": {"type": ["string", "null"], "format": "date-time"},
            "registration_number": {"type": ["string", "null"]},
            "decision_result": {"type": ["string", "null"], "enum": ["approved", "refused", None]},
            "version": {"type": "integer"},
        },
    },
    "ApplicationDetail": {
        "allOf": [
            {"$ref": "#/components/schemas/Application"},
            {
                "type": "object",
                "properties": {
                    "documents": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "id": {"type": "integer"},
                                "kind": {"type": "string"},
                                "title": {"type": "string"},
                                "file_name": {"type": "string"},
                                "content_type": {"type": "string"},
                                "size": {"type": "integer"},
                                "sha256": {"type": "string"},
                                "uploaded_at": {"type": "string", "format": "date-time"},
                            },
                        },
                    },
                    "history": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "action": {"type": "string"},
                                "from_process": {"type": "string"},
                                "to_process": {"type": "string"},
                                "at": {"type": "string", "format": "date-time"},
                            },
                        },
                    },
                },
            },
        ]
    },
    "ApplicationPage": {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/Application"}},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
            "total": {"type": "integer"},
            "pages": {"type": "integer"},
        },
    },
}

PATHS = {
    "/applications": {
        "get": {
            "operationId": "listApplications",
            "summary": "Заявления организации ключа, новые первыми",
            "security": _KEY,
            "parameters": [
                {"name": "status", "in": "query", "schema": {"type": "string"}},
                {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "default": 1}},
                {
                    "name": "per_page",
                    "in": "query",
                    "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 100},
                },
            ],
            "responses": {
                "200": _json({"$ref": "#/components/schemas/ApplicationPage"}, "Страница заявлений"),
                "401": _json(_ERROR, "Нет действующего ключа"),
                "422": _json(_ERROR, "Неверный параметр страницы"),
            },
        }
    },
    "/applications/{application_id}": {
        "get": {
            "operationId": "getApplication",
            "summary": "Заявление: статус, срок, документы (метаданные) и история",
            "security": _KEY,
            "parameters": [{"name": "application_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "responses": {
                "200": _json({"$ref": "#/components/schemas/ApplicationDetail"}, "Заявление"),
                "401": _json(_ERROR, "Нет действующего ключа"),
                "404": _json(_ERROR, "Нет такого заявления у организации ключа"),
            },
        }
    },
}


def merged(document: dict) -> dict:
    """``document`` (an OpenAPI dict) with the applications API added."""
    document.setdefault("paths", {}).update(PATHS)
    components = document.setdefault("components", {})
    components.setdefault("schemas", {}).update(SCHEMAS)
    components.setdefault("securitySchemes", {}).update(SECURITY_SCHEMES)
    return document

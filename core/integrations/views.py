"""The organisation admin's "Интеграции" page: webhook endpoints with their delivery log (replayable) and
the read-only API keys. Everything here is the admin's own organisation's; another's is 404."""

import datetime

from flask import Blueprint, flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from core import audit
from core.access import client_required, refuse
from core.db import db, utcnow
from core.integrations import api, webhooks
from core.integrations.models import ApiKey, WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent
from core.web import render

bp = Blueprint("integrations", __name__, url_prefix="/organisation/integrations", template_folder="templates")
admin_only = client_required(org_admin=True)
MAX_KEY_DAYS = 365
DELIVERIES_SHOWN = 50


class EndpointForm(FlaskForm):
    url = StringField(_l("Адрес (https://…)"), validators=[DataRequired(_l("Заполните это поле.")), Length(max=2000)])
    description = StringField(_l("Описание"), validators=[Optional(), Length(max=200)])


class KeyForm(FlaskForm):
    name = StringField(
        _l("Название ключа (например, бэк-офис)"), validators=[DataRequired(_l("Заполните это поле.")), Length(max=100)]
    )
    days = IntegerField(
        _l("Срок действия, дней"),
        default=90,
        validators=[
            DataRequired(_l("Укажите срок от 1 до %(n)s дней.", n=MAX_KEY_DAYS)),
            NumberRange(1, MAX_KEY_DAYS, _l("Укажите срок от 1 до %(n)s дней.", n=MAX_KEY_DAYS)),
        ],
    )


def _org_id():
    return current_user.organisation_id


def _own(model, object_id, organisation_of):
    row = model.get_or_none(model.id == object_id)
    if row is None or organisation_of(row) != _org_id():
        refuse(row)
    return row


def _page(endpoint_form=None, key_form=None, secret=None, secret_for=None, key=None, status=200):
    org = _org_id()
    endpoints = list(
        WebhookEndpoint.select()
        .where(WebhookEndpoint.organisation == org)
        .order_by(WebhookEndpoint.disabled_at.is_null(False), WebhookEndpoint.id.desc())
    )
    deliveries = list(
        WebhookDelivery.select(WebhookDelivery, WebhookEvent, WebhookEndpoint)
        .join(WebhookEvent)
        .switch(WebhookDelivery)
        .join(WebhookEndpoint)
        .where(WebhookEndpoint.organisation == org)
        .order_by(WebhookDelivery.id.desc())
        .limit(DELIVERIES_SHOWN)
    )
    attempts = {}
    if deliveries:
        for attempt in (
            WebhookAttempt.select()
            .where(WebhookAttempt.delivery.in_([d.id for d in deliveries]))
            .order_by(WebhookAttempt.id)
        ):
            attempts.setdefault(attempt.delivery_id, []).append(attempt)
    keys = list(ApiKey.select().where(ApiKey.organisation == org).order_by(ApiKey.id.desc()))
    response = render(
        "integrations/index.html",
        endpoint_form=endpoint_form or EndpointForm(formdata=None),
        key_form=key_form or KeyForm(formdata=None),
        endpoints=endpoints,
        deliveries=deliveries,
        attempts=attempts,
        keys=keys,
        secret=secret,
        secret_for=secret_for,
        key=key,
        now=utcnow(),
        backoff=webhooks.BACKOFF,
    )
    response.headers["Cache-Control"] = "no-store"  # a secret or key is shown in this answer only
    response.status_code = status
    return response


@bp.route("/")
@admin_only
def index():
    return _page()


@bp.route("/endpoints", methods=["POST"])
@admin_only
def add_endpoint():
    form = EndpointForm()
    if form.validate_on_submit():
        try:
            endpoint, secret = webhooks.register(
                current_user.organisation,
                current_user._get_current_object(),
                form.url.data,
                form.description.data or "",
            )
        except webhooks.UrlRefused as exc:
            form.url.errors.append(str(exc))
        else:
            return _page(secret=secret, secret_for=endpoint)
    return _page(endpoint_form=form, status=422)


@bp.route("/endpoints/<int:endpoint_id>/rotate", methods=["POST"])
@admin_only
def rotate(endpoint_id):
    endpoint = _own(WebhookEndpoint, endpoint_id, lambda e: e.organisation_id)
    if endpoint.disabled_at is not None:
        flash(_("Адрес отключен."), "error")
        return redirect(url_for(".index"))
    return _page(secret=webhooks.rotate(endpoint), secret_for=endpoint)


@bp.route("/endpoints/<int:endpoint_id>/disable", methods=["POST"])
@admin_only
def disable(endpoint_id):
    endpoint = _own(WebhookEndpoint, endpoint_id, lambda e: e.organisation_id)
    webhooks.disable(endpoint)
    flash(_("Адрес отключен: уведомления на него больше не отправляются."), "success")
    return redirect(url_for(".index"))


@bp.route("/deliveries/<int:delivery_id>/replay", methods=["POST"])
@admin_only
def replay(delivery_id):
    delivery = _own(WebhookDelivery, delivery_id, lambda d: d.endpoint.organisation_id)
    if delivery.endpoint.disabled_at is not None:
        flash(_("Адрес отключен."), "error")
    elif delivery.status in ("pending", "sending"):
        flash(_("Это уведомление еще отправляется."), "error")
    else:
        webhooks.replay(delivery)
        flash(_("Уведомление отправлено снова."), "success")
    return redirect(url_for(".index"))


@bp.route("/keys", methods=["POST"])
@admin_only
def add_key():
    form = KeyForm()
    if not form.validate_on_submit():
        return _page(key_form=form, status=422)
    token = api.new_key()
    with db.atomic():
        row = ApiKey.create(
            organisation=current_user.organisation,
            created_by=current_user.id,
            name=form.name.data.strip(),
            token_hash=api.digest(token),
            expires_at=utcnow() + datetime.timedelta(days=form.days.data),
        )
        audit.record(
            "api_key.create", row, organisation=current_user.organisation, name=row.name, expires_at=str(row.expires_at)
        )
    return _page(key=token)


@bp.route("/keys/<int:key_id>/revoke", methods=["POST"])
@admin_only
def revoke_key(key_id):
    key = _own(ApiKey, key_id, lambda k: k.organisation_id)
    with db.atomic():
        revoked = (
            ApiKey.update(revoked_at=utcnow()).where((ApiKey.id == key.id) & ApiKey.revoked_at.is_null()).execute()
        )
        if revoked:
            audit.record("api_key.revoke", key, organisation=current_user.organisation, name=key.name)
    flash(_("Ключ отозван."), "success")
    return redirect(url_for(".index"))


@bp.app_template_global()
def delivery_status(code):
    return {
        "pending": _("ожидает отправки"),
        "sending": _("отправляется"),
        "delivered": _("доставлено"),
        "failed": _("не доставлено"),
    }.get(code, code)

"""The tab "Партнерства": add a partner from the active companies of its role; only the Exchange removes."""

from flask import Blueprint, abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.validators import DataRequired

from core import audit
from core.access import client_required, staff_required
from core.accounts.models import Organisation, User
from core.db import db, matches
from core.forms import choices
from core.notifications.service import notify
from core.pagination import paginate
from core.partnerships import service
from core.partnerships.models import PARTNER_KINDS, Partnership
from core.plugins import collect
from core.web import render

bp = Blueprint("partnerships", __name__, template_folder="templates")


class PartnerForm(FlaskForm):
    kind = SelectField(
        _l("Вид партнера"),
        choices=choices([("", _l("— выберите —"))] + list(PARTNER_KINDS.items())),
        validators=[DataRequired(_l("Выберите вид партнера."))],
    )
    partner = SelectField(
        _l("Компания"), choices=[], coerce=str, validators=[DataRequired(_l("Выберите компанию из списка."))]
    )

    def __init__(self, organisation, *args, **kwargs):
        super().__init__(*args, **kwargs)
        kind = self.kind.data if self.kind.data in PARTNER_KINDS else ""
        candidates = Partnership.candidates(organisation, kind)
        # Plugins narrow the offer (only auditors the Exchange recognises); the same list validates the POST.
        for condition in collect(
            current_app.extensions["is2in.pm"], "is2in_partner_candidates", kind=kind, query=candidates
        ):
            candidates = candidates.where(condition)
        self.partner.choices = choices(
            [("", _l("— выберите —"))] + ([(o.id, o.display_name) for o in candidates] if kind else [])
        )


@bp.route("/partnerships", methods=["GET", "POST"])
@client_required()
def index():
    org = current_user.organisation
    # GET ?kind=... is the cascade step (htmx or a plain "Показать" button); POST adds the partner.
    form = PartnerForm(org) if request.method == "POST" else PartnerForm(org, formdata=request.args or None)
    if request.method == "POST":
        if form.validate_on_submit():
            partner = Organisation.get_or_none(Organisation.id == int(form.partner.data))
            with db.atomic():
                Partnership.create(client=org, partner=partner, kind=form.kind.data, created_by=current_user.id)
                audit.record("partnership.add", org, partner=partner.code, kind=form.kind.data)
                admins = User.active_in(partner).where(User.is_org_admin == True)  # noqa: E712
                notify(
                    admins,
                    "partnership_added",
                    message=_l(
                        "%(org)s добавила вашу организацию в партнеры: %(kind)s.",
                        org=org.display_name,
                        kind=PARTNER_KINDS[form.kind.data],
                    ),
                    executor=current_user.full_name,
                    link=url_for("partnerships.index"),
                )
            flash(_("Партнер %(name)s добавлен.", name=partner.display_name), "success")
            return redirect(url_for("partnerships.index"))
    return render(
        "partnerships/index.html",
        "partner_choice",
        form=form,
        partners=Partnership.partners_of(org),
        clients=Partnership.clients_of(org),
        kinds=PARTNER_KINDS,
    )


@bp.route("/staff/partnerships")
@staff_required("admin")  # and every reviewing department (core.create_app widens it)
def staff_index():
    q = request.args.get("q", "").strip()
    Client, Partner = Organisation.alias(), Organisation.alias()
    query = (
        Partnership.active()
        .select(Partnership, Client, Partner)
        .join(Client, on=(Partnership.client == Client.id))
        .switch(Partnership)
        .join(Partner, on=(Partnership.partner == Partner.id))
        .order_by(Client.code, Partnership.kind)
    )
    if q:
        query = query.where(
            matches(Client.code, q)
            | matches(Client.name_ru, q)
            | matches(Partner.code, q)
            | matches(Partner.name_ru, q)
        )
    return render(
        "partnerships/staff_index.html", "partnership_list", page=paginate(query, per_page=50), q=q, kinds=PARTNER_KINDS
    )


@bp.route("/staff/partnerships/<int:partnership_id>/end", methods=["POST"])
@staff_required("admin")
def end(partnership_id):
    """Removal happens only at the client's request to the Exchange (G-9.3)."""
    link = Partnership.active().where(Partnership.id == partnership_id).first() or abort(404)
    # The partner's people lose the client's applications in the same transaction (G-9.4).
    service.end(link, current_user._get_current_object())
    flash(_("Партнерство прекращено."), "success")
    return redirect(url_for("partnerships.staff_index"))

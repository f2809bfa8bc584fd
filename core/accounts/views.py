"""Exchange admin screens for organisations and accounts (G-3), and the client tab "Пользователи" (G-9.2)."""

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core import audit
from core.access import client_required, staff_required
from core.accounts.forms import OrganisationForm, UserForm
from core.accounts.models import DEPARTMENTS, ORG_ROLES, Organisation, OrganisationRole, User
from core.accounts.service import create_user, send_password_link
from core.db import db, matches
from core.pagination import paginate
from core.web import render

bp = Blueprint("accounts", __name__, template_folder="templates")


# --- the client tab "Пользователи" -----------------------------------------------------------


@bp.route("/users")
@client_required()
def users():
    members = User.active_in(current_user.organisation)
    return render("accounts/users.html", users=members, organisation=current_user.organisation)


@bp.route("/users/new", methods=["GET", "POST"])
@client_required(org_admin=True)
def add_user():
    organisation = current_user.organisation
    form = UserForm()
    if form.validate_on_submit():
        with db.atomic():
            user = create_user(organisation, **form.user_fields())
        flash(
            _(
                "Пользователь %(name)s добавлен. На %(email)s отправлена ссылка для установки пароля.",
                name=user.full_name,
                email=user.email,
            ),
            "success",
        )
        return redirect(url_for("accounts.users"))
    return render(
        "accounts/user_form.html",
        form=form,
        organisation=organisation,
        cancel=url_for("accounts.users"),
        title=_("Добавить пользователей"),
    )


# --- Exchange admin: organisations ------------------------------------------------------------


@bp.route("/staff/organisations")
@staff_required("admin")
def organisations():
    q = request.args.get("q", "").strip()
    role = request.args.get("role", "")
    query = Organisation.select().order_by(Organisation.code)
    if q:
        query = query.where(
            matches(Organisation.code, q)
            | matches(Organisation.name_ru, q)
            | matches(Organisation.name_en, q)
            | matches(Organisation.name_kk, q)
            | (Organisation.bin == q)
        )
    if role in ORG_ROLES:
        query = query.where(
            Organisation.id.in_(
                OrganisationRole.select(OrganisationRole.organisation).where(OrganisationRole.role == role)
            )
        )
    page = paginate(query, per_page=25)
    return render("accounts/organisations.html", "organisation_list", page=page, q=q, role=role, roles=ORG_ROLES)


@bp.route("/staff/organisations/new", methods=["GET", "POST"])
@staff_required("admin")
def new_organisation():
    form = OrganisationForm()
    if form.validate_on_submit():
        with db.atomic():
            org = Organisation.create(**_organisation_fields(form))
            org.set_roles(form.roles.data)
            audit.record("organisation.create", org, code=org.code, roles=sorted(form.roles.data))
        flash(_("Организация %(code)s создана. Добавьте её пользователей.", code=org.code), "success")
        return redirect(url_for("accounts.organisation", org_id=org.id))
    return render("accounts/organisation_form.html", form=form, organisation=None)


def _organisation_fields(form) -> dict:
    return {
        name: (
            getattr(form, name).data.strip() if isinstance(getattr(form, name).data, str) else getattr(form, name).data
        )
        for name in ("code", "legal_form", "name_ru", "name_kk", "name_en", "bin", "is_active")
    }


def _organisation_or_404(org_id) -> Organisation:
    return Organisation.get_or_none(Organisation.id == org_id) or abort(404)


@bp.route("/staff/organisations/<int:org_id>")
@staff_required("admin")
def organisation(org_id):
    org = _organisation_or_404(org_id)
    members = User.select().where(User.organisation == org).order_by(User.is_active.desc(), User.last_name)
    return render(
        "accounts/organisation.html", organisation=org, users=members, roles=ORG_ROLES, departments=DEPARTMENTS
    )


@bp.route("/staff/organisations/<int:org_id>/edit", methods=["GET", "POST"])
@staff_required("admin")
def edit_organisation(org_id):
    org = _organisation_or_404(org_id)
    form = OrganisationForm(obj=org, organisation=org)
    if request.method == "GET":
        form.roles.data = sorted(org.roles)
    if form.validate_on_submit():
        with db.atomic():
            for name, value in _organisation_fields(form).items():
                setattr(org, name, value)
            org.save()
            org.set_roles(form.roles.data)
            audit.record("organisation.update", org, code=org.code, roles=sorted(form.roles.data))
        flash(_("Изменения сохранены."), "success")
        return redirect(url_for("accounts.organisation", org_id=org.id))
    return render("accounts/organisation_form.html", form=form, organisation=org)


# --- Exchange admin: accounts -----------------------------------------------------------------


@bp.route("/staff/users")
@staff_required("admin")
def staff_users():
    q = request.args.get("q", "").strip()
    query = (
        User.select(User, Organisation).join(Organisation).order_by(Organisation.code, User.last_name, User.first_name)
    )
    if q:
        query = query.where(
            matches(User.email, q)
            | matches(User.last_name, q)
            | matches(User.first_name, q)
            | matches(Organisation.code, q)
        )
    return render(
        "accounts/staff_users.html", "user_list", page=paginate(query, per_page=50), q=q, departments=DEPARTMENTS
    )


@bp.route("/staff/organisations/<int:org_id>/users/new", methods=["GET", "POST"])
@staff_required("admin")
def new_user(org_id):
    org = _organisation_or_404(org_id)
    form = UserForm(staff=org.is_exchange)
    if form.validate_on_submit():
        with db.atomic():
            departments = form.departments.data if org.is_exchange else ()
            user = create_user(org, departments=departments, **form.user_fields())
        flash(
            _(
                "Пользователь %(name)s создан. На %(email)s отправлена ссылка для установки пароля.",
                name=user.full_name,
                email=user.email,
            ),
            "success",
        )
        return redirect(url_for("accounts.organisation", org_id=org.id))
    return render(
        "accounts/user_form.html",
        form=form,
        organisation=org,
        cancel=url_for("accounts.organisation", org_id=org.id),
        title=_("Новый пользователь"),
    )


def _user_or_404(user_id) -> User:
    return User.get_or_none(User.id == user_id) or abort(404)


@bp.route("/staff/users/<int:user_id>/edit", methods=["GET", "POST"])
@staff_required("admin")
def edit_user(user_id):
    user = _user_or_404(user_id)
    org = user.organisation
    form = UserForm(obj=user, user=user, staff=org.is_exchange)
    if request.method == "GET" and org.is_exchange:
        form.departments.data = sorted(user.departments)
    if form.validate_on_submit():
        if user.id == current_user.id and (
            not form.is_active.data or (org.is_exchange and "admin" not in form.departments.data)
        ):
            flash(_("Нельзя отключить себя или снять с себя права администратора."), "danger")
        else:
            with db.atomic():
                for name, value in form.user_fields().items():
                    setattr(user, name, value)
                user.save()
                if org.is_exchange:
                    user.set_departments(form.departments.data)
                if not user.is_active:
                    from core.accounts.models import UserSession

                    UserSession.end_all(user)
                audit.record("user.update", user, organisation=org, email=user.email)
            flash(_("Изменения сохранены."), "success")
            return redirect(url_for("accounts.organisation", org_id=org.id))
    return render(
        "accounts/user_form.html",
        form=form,
        organisation=org,
        user=user,
        cancel=url_for("accounts.organisation", org_id=org.id),
        title=user.full_name,
    )


@bp.route("/staff/users/<int:user_id>/send-link", methods=["POST"])
@staff_required("admin")
def send_link(user_id):
    user = _user_or_404(user_id)
    with db.atomic():
        send_password_link(user, purpose="set" if user.password_hash is None else "reset")
        audit.record("user.send_link", user, organisation=user.organisation)
    flash(_("Ссылка для установки пароля отправлена на %(email)s.", email=user.email), "success")
    return redirect(url_for("accounts.organisation", org_id=user.organisation_id))


@bp.route("/staff/users/<int:user_id>/unlock", methods=["POST"])
@staff_required("admin")
def unlock(user_id):
    user = _user_or_404(user_id)
    with db.atomic():
        User.update(locked_until=None, failed_logins=0).where(User.id == user.id).execute()
        audit.record("user.unlock", user, organisation=user.organisation)
    flash(_("Учётная запись %(email)s разблокирована.", email=user.email), "success")
    return redirect(url_for("accounts.organisation", org_id=user.organisation_id))

"""Ending a partnership: the partner's people leave the client's applications at once (G-9.3, G-9.4)."""

from flask_babel import gettext as _
from flask_babel.speaklater import LazyString

from core import audit
from core.accounts.models import User
from core.db import db, utcnow
from core.notifications.service import notify
from core.partnerships.models import Partnership


def end(link: Partnership, by: User) -> bool:
    """End ``link`` (call once the Exchange has the client's request). Every place the partner's users hold
    in the client's applications (author of one filed for the client, assigned consultant or executor) is
    removed in the same transaction, so their next request is refused; each application's change is
    audited and the client's admins are told which applications the partner no longer reaches.
    While another kind of partnership still ties the two organisations, only the role named after the
    ended kind goes (an ex-consultant's "consultant" assignment); the rest goes with the last link.
    Returns False when someone else ended it first."""
    from core.workflow import engine
    from core.workflow.models import Application, ApplicationMember

    with db.atomic():
        updated = (
            Partnership.update(ended_at=utcnow(), ended_by=by.id)
            .where((Partnership.id == link.id) & Partnership.ended_at.is_null())
            .execute()
        )
        if not updated:
            return False
        audit.record("partnership.end", link.client, actor=by, partner=link.partner.code, kind=link.kind)
        revoked = []
        if not Partnership.exists_between(link.client, link.partner, link.kind):
            partner_people = User.select(User.id).where(User.organisation == link.partner_id)
            query = (
                ApplicationMember.select(ApplicationMember, Application)
                .join(Application)
                .where((Application.organisation == link.client_id) & ApplicationMember.user.in_(partner_people))
                .order_by(Application.id)
            )
            if Partnership.exists_between(link.client, link.partner):
                query = query.where(ApplicationMember.role == link.kind)
            rows = list(query)
            by_application = {}
            for row in rows:
                by_application.setdefault(row.application.id, (row.application, []))[1].append(row)
            for app, members in by_application.values():
                ApplicationMember.delete().where(ApplicationMember.id.in_([m.id for m in members])).execute()
                engine.forget_member_roles()
                if app.executor_id in {m.user_id for m in members}:
                    Application.update(executor=_client_executor(app)).where(Application.id == app.id).execute()
                audit.record(
                    "partnership.access_revoked",
                    app,
                    organisation=link.client,
                    actor=by,
                    number=app.number,
                    partner=link.partner.code,
                    kind=link.kind,
                    removed=sorted({(m.user_id, m.role) for m in members}),
                )
                revoked.append(app.number)
        admins = User.active_in(link.client).where(User.is_org_admin == True)  # noqa: E712
        partner = link.partner

        def text():  # lazy, so the notification keeps every language and shows the reader's (issue 15)
            said = _("Партнерство с %(org)s прекращено Биржей.", org=partner.display_name)
            if revoked:
                said += " " + _(
                    "Работники %(org)s больше не имеют доступа к заявлениям: %(numbers)s.",
                    org=partner.display_name,
                    numbers=", ".join(revoked),
                )
            return said

        message = LazyString(text)
        notify(admins, "partnership_removed", message=message, executor=by.full_name, link="/partnerships")
    return True


def _client_executor(app):
    """The client's own person to show as current executor once the partner's one has gone."""
    from core.workflow.models import ApplicationMember

    row = (
        ApplicationMember.select(ApplicationMember.user)
        .join(User, on=(ApplicationMember.user == User.id))
        .where((ApplicationMember.application == app.id) & (User.organisation == app.organisation_id))
        .order_by(ApplicationMember.id)
        .first()
    )
    return row.user_id if row else None

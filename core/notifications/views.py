"""The cabinet's "Уведомления" and the admins' view of the mail queue."""

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core import audit
from core.access import login_required, staff_required
from core.db import db, utcnow
from core.notifications import service
from core.notifications.models import MailMessage, Notification
from core.pagination import paginate
from core.web import render

bp = Blueprint("notifications", __name__, template_folder="templates")


@bp.route("/cabinet/notifications")
@login_required
def index():
    page = paginate(Notification.for_user(current_user), per_page=25)
    return render("notifications/index.html", "notification_list", page=page)


@bp.route("/cabinet/notifications/<int:notification_id>/read", methods=["POST"])
@login_required
def read(notification_id):
    note = Notification.get_or_none((Notification.id == notification_id) & (Notification.user == current_user))
    if note is None:
        abort(404)
    if note.read_at is None:
        Notification.update(read_at=utcnow()).where(Notification.id == note.id).execute()
    if note.link and request.form.get("open"):
        return redirect(note.link)
    return redirect(url_for("notifications.index"))


@bp.route("/cabinet/notifications/read-all", methods=["POST"])
@login_required
def read_all():
    (
        Notification.update(read_at=utcnow())
        .where((Notification.user == current_user) & Notification.read_at.is_null())
        .execute()
    )
    flash(_("Все уведомления отмечены как прочитанные."), "success")
    return redirect(url_for("notifications.index"))


MAIL_STATUSES = tuple(service.MAIL_STATUSES)


@bp.route("/staff/mail")
@staff_required("admin")
def mail_queue():
    status = request.args.get("status", "")
    query = MailMessage.select().order_by(MailMessage.created_at.desc(), MailMessage.id.desc())
    if status in MAIL_STATUSES:
        query = query.where(MailMessage.status == status)
    counts = {s: MailMessage.select().where(MailMessage.status == s).count() for s in MAIL_STATUSES}
    return render(
        "notifications/mail_queue.html",
        "mail_list",
        page=paginate(query, per_page=50),
        status=status,
        counts=counts,
        statuses=MAIL_STATUSES,
    )


@bp.route("/staff/mail/<int:mail_id>")
@staff_required("admin")
def mail_detail(mail_id):
    mail = MailMessage.get_or_none(MailMessage.id == mail_id) or abort(404)
    return render("notifications/mail_detail.html", mail=mail)


@bp.route("/staff/mail/<int:mail_id>/retry", methods=["POST"])
@staff_required("admin")
def mail_retry(mail_id):
    mail = MailMessage.get_or_none(MailMessage.id == mail_id) or abort(404)
    if mail.status not in ("failed", "held"):
        flash(_("Это письмо не нуждается в повторной отправке."), "warning")
    else:
        with db.atomic():
            service.retry(mail)
            audit.record("mail.retry", mail, to=mail.to)
        flash(_("Письмо поставлено в очередь на повторную отправку."), "success")
    return redirect(url_for("notifications.mail_queue", status=request.args.get("status", "")))

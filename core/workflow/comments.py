"""Comments on an application's fields: a reviewer's drafts, saved with "Сохранить", shown beside the field to
whoever may read them, and the count a process's step asks about ("Вернуть на доработку" needs one)."""

from flask_babel import gettext as _

from core import audit
from core.accounts.models import User
from core.db import Prepared, Slot, db, utcnow
from core.workflow.engine import WorkflowError
from core.workflow.models import Application, Comment, Transition

_COMMENTS = Prepared(
    lambda: (
        Comment.select(Comment, User)
        .join(User)
        .where(
            (Comment.application == Slot("application"))
            & (Comment.saved_at.is_null(False) | (Comment.author == Slot("viewer")))
        )
        .order_by(Comment.created_at)
    )
)


def add_comment(app, user, form_code, field, text) -> Comment:
    """ "Комментировать" then "Продолжить": a draft only its author sees until "Сохранить"."""
    if not text.strip():
        raise WorkflowError(_("Введите текст комментария."))
    with db.atomic():
        comment = Comment.create(
            application=app,
            form_code=form_code,
            field=field,
            text=text.strip()[:4000],
            author=user,
            process=app.process,
        )
        audit.record("comment.draft", app, organisation=app.organisation, form=form_code, field=field)
    return comment


def save_comments(app, user) -> int:
    with db.atomic():
        count = (
            Comment.update(saved_at=utcnow())
            .where((Comment.application == app) & (Comment.author == user) & Comment.saved_at.is_null())
            .execute()
        )
        if count:
            audit.record("comment.save", app, organisation=app.organisation, count=count)
    return count


def comments_by_field(app, viewer) -> dict[tuple[str, str], list[Comment]]:
    found = {}
    for comment in _COMMENTS.rows(application=app, viewer=viewer):
        found.setdefault((comment.form_code, comment.field), []).append(comment)
    return found


def comments_in_process(app: Application, user) -> int:
    """The user's comments (saved or draft) made since the application entered its current process."""
    entered = (
        Transition.select(Transition.created_at)
        .where((Transition.application == app) & (Transition.to_process == app.process))
        .order_by(Transition.id.desc())
        .first()
    )
    query = Comment.select().where(
        (Comment.application == app) & (Comment.author == user) & (Comment.process == app.process)
    )
    if entered is not None:
        query = query.where(Comment.created_at >= entered.created_at)
    return query.count()

"""The application page after issue #8's trimming: the latest return and the latest request of the Exchange are
still the ones shown (one read now finds both), and another organisation's application still does not exist."""

from core.db import utcnow
from core.workflow.models import Application, ApplicationMember, Transition


def _application(org, author, **fields):
    app = Application.create(
        number="LD-2026-00001",
        organisation=org,
        procedure="listing.delisting",
        author=author,
        **{"submitted_at": utcnow(), **fields},
    )
    ApplicationMember.create(application=app, user=author, role="author")
    return app


def _transition(app, action, actor, note):
    Transition.create(
        application=app, action=action, from_process="review", to_process="additional", actor=actor, note=note
    )


def test_the_page_shows_the_note_of_the_step_in_force(client, auth, make):
    """#16.5: while more documents are due, the Exchange's latest request shows, not a return already handled."""
    org = make.org()
    author = make.user(org, email="a@example.kz")
    staff = make.staff("listing")
    app = _application(org, author, status="revision", process="additional")
    _transition(app, "return", staff, "Первый возврат")
    _transition(app, "request_documents", staff, "Старый запрос")
    _transition(app, "return", staff, "Второй возврат")
    _transition(app, "request_documents", staff, "Новый запрос")
    auth.login("a@example.kz")
    html = client.get(f"/applications/{app.id}").get_data(as_text=True)
    assert "Новый запрос" in html and "Старый запрос" not in html
    assert "Возвращено на доработку" not in html and "возврат" not in html
    assert org.code in html and org.display_name in html  # the company, read with the application


def test_the_first_heads_return_shows_to_the_filer_only_while_it_is_in_force(client, auth, make):
    org = make.org()
    author = make.user(org, email="a@example.kz")
    head = make.user(org, email="ceo@example.kz")
    app = _application(org, author, status="revision", process="fill", submitted_at=None)
    Transition.create(
        application=app,
        action="return",
        from_process="approval",
        to_process="fill",
        actor=head,
        note="Исправьте телефон",
    )
    auth.login("a@example.kz")
    assert "Исправьте телефон" in client.get(f"/applications/{app.id}").get_data(as_text=True)
    # once sent again and signed, the handled note is gone from the header, for the filer and the Exchange
    Transition.create(application=app, action="send_to_head", from_process="fill", to_process="approval", actor=author)
    Application.update(process="review", status="submitted", submitted_at=utcnow()).where(
        Application.id == app.id
    ).execute()
    assert "Исправьте телефон" not in client.get(f"/applications/{app.id}").get_data(as_text=True)
    auth.logout()
    staff = make.staff("listing", email="l@exchange.kz")
    auth.login(staff.email)
    page = client.get(f"/applications/{app.id}")
    assert page.status_code == 200 and "Исправьте телефон" not in page.get_data(as_text=True)


def test_without_a_return_or_a_request_the_page_shows_neither(client, auth, make):
    org = make.org()
    author = make.user(org, email="a@example.kz")
    app = _application(org, author, status="revision", process="additional")
    auth.login("a@example.kz")
    html = client.get(f"/applications/{app.id}").get_data(as_text=True)
    assert "Возвращено на доработку" not in html and "Запрос Биржи:" not in html


def test_another_organisations_application_and_its_cascade_do_not_exist(client, auth, make):
    theirs = make.org()
    app = _application(theirs, make.user(theirs), status="draft", process="fill")
    make.user(make.org(), email="me@example.kz")
    auth.login("me@example.kz")
    assert client.get(f"/applications/{app.id}").status_code == 404
    fragment = client.get(f"/applications/{app.id}?stage=additional&cascade=1", headers={"HX-Request": "true"})
    assert fragment.status_code == 404


def test_a_return_by_the_exchange_shows_to_its_staff_and_the_filer(client, auth, make):
    """Only the first head's return is internal to the applicant; the Exchange's own return (where a procedure lets
    its department return a filing) is shown to both sides while it is in force."""
    org = make.org()
    author = make.user(org, email="a@example.kz")
    staff = make.staff("listing", email="l@exchange.kz")
    app = _application(org, author, status="revision", process="fill")
    Transition.create(  # from "review": the department's own return
        application=app,
        action="return",
        from_process="review",
        to_process="fill",
        actor=staff,
        note="Приложите устав в новой редакции",
    )
    for email in ("a@example.kz", "l@exchange.kz"):
        auth.login(email)
        assert "Приложите устав в новой редакции" in client.get(f"/applications/{app.id}").get_data(as_text=True)
        auth.logout()


def test_a_refused_change_is_told_on_the_application_page(client, auth, make):
    """Issue 18: the workflow blueprint answers the engine's refusals in one place (``views.refused``): the message
    is flashed and the user is back on the application, on the stage he was on while he may still fill it."""
    org = make.org()
    author = make.user(org, email="a@example.kz")
    sent = _application(org, author, status="submitted", process="review")
    auth.login("a@example.kz")
    response = client.post(f"/applications/{sent.id}/delete")
    assert response.status_code == 302 and response.headers["Location"] == f"/applications/{sent.id}"
    assert "удалить его нельзя" in client.get(f"/applications/{sent.id}").get_data(as_text=True)
    assert Application.get_or_none(Application.id == sent.id) is not None

    sent.delete_instance(recursive=True)
    draft = _application(org, author, status="draft", process="fill", submitted_at=None)
    response = client.post(f"/applications/{draft.id}/stages/general/skip")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/applications/{draft.id}?stage=general"
    assert "Этот этап нельзя пропустить." in client.get(response.headers["Location"]).get_data(as_text=True)

"""Every hook a plugin may implement. Hooks return plain data; the core mounts and renders it."""

import pluggy

hookspec = pluggy.HookspecMarker("is2in")


@hookspec
def is2in_procedures():
    """Return a list of ``core.Procedure`` definitions this plugin contributes to "Процедуры"."""


@hookspec
def is2in_blueprints():
    """Return a list of Flask blueprints to mount (their own URL prefix, templates and static files)."""


@hookspec
def is2in_menu_links(user):
    """Return a list of ``core.Link`` to add to the user menu of a signed-in client ``user``. The menu is built
    once per process and role set (``core.templating.role_key``: the organisation's roles, org admin or not), so
    decide by those alone; the core drops links whose route the user may not open."""


@hookspec
def is2in_staff_screens(user):
    """Return a list of ``core.Link`` to Exchange staff screens that the staff ``user`` may open. Built once per
    process and set of departments (``core.templating.role_key``), like the client menu."""


@hookspec
def is2in_notification_kinds():
    """Return a list of ``core.NotificationKind`` this plugin sends (cabinet and e-mail)."""


@hookspec
def is2in_migrations():
    """Return a ``core.MigrationSet`` naming this plugin's own numbered migration history, or None."""


@hookspec
def is2in_application_transition(application, action, from_process, to_process, user):
    """React to an application's move (for example grant a role when a decision is archived); called
    inside the move's transaction, so raising refuses the move. Returns nothing."""


@hookspec
def is2in_public_pages():
    """Return a list of ``core.Link`` to public pages (no login) shown in the footer."""


@hookspec
def is2in_partner_candidates(kind, query):
    """Return a condition on ``Organisation`` that candidate partners of ``kind`` ("consultant",
    "auditor") must also meet, or None; ``query`` is the core's candidate query, for context."""


@hookspec
def is2in_member_categories(organisation):
    """Return the set of Exchange membership categories ("stock", "currency", "derivatives") the
    ``organisation`` holds, or None when this plugin keeps no record of it."""


@hookspec
def is2in_demo_data(echo):
    """Load this plugin's demo data (idempotently) after the core's demo accounts exist; ``echo``
    prints a line. Returns nothing."""


@hookspec
def is2in_demo_scenes(echo):
    """After every plugin's demo data: take this plugin's demo records to the steps a new user wants to
    see, dated from now (Almaty time), with the plugin's own services; idempotently. Run by `is2in demo`
    (the test fixture loads the accounts only). Returns nothing."""


@hookspec
def is2in_periodic_jobs():
    """Return a list of ``core.PeriodicJob`` (reminders, deadline checks) for the task queue to run."""


@hookspec
def is2in_cli_commands():
    """Return a list of click commands to add under the ``is2in`` command."""


@hookspec
def is2in_categories():
    """Return a list of ``core.Category`` (code, label, order): headings of "Процедуры" this plugin's procedures
    are filed under. A procedure whose category no plugin declares fails start-up."""


@hookspec
def is2in_departments():
    """Return a list of ``core.Department`` (code, label, order): Exchange departments this plugin's procedures and
    screens name, beside the core's own (office, board, management, admin, security). Two plugins may declare the
    same department alike."""


@hookspec
def is2in_step_actions():
    """Return a list of ``core.StepAction`` (code, label, form, effect): actions a process's ``transitions`` may
    use beside the engine's own (send_to_head, return, approve, sign, register, request_documents, answer,
    schedule, decide, issue_letter, archive, accept, withdraw)."""

"""Scenario ``registers`` (``BENCH_ONLY=registers``, not in the default run): only the register steps of the
book scenario, on a book taken through the order service in batches (no server, no API load), collateral-checked
and activated as there. For working on the registers: the same steps, floors and targets as the book scenario
in a fraction of its time."""

from bench import book, harness, report


def run(env: harness.Environment, settings: harness.Settings) -> dict:
    size = settings.orders
    scale = size / book.FULL_BOOK
    made = harness.run_step(env, "book:setup", {"buyers": settings.buyers})
    intake = harness.run_step(
        env,
        "book:service_intake",
        {"total": size, "batch": book.SERVICE_BATCH, "at_least": book.SERVICE_BATCH},
        timeout=7200,
    )
    harness.run_step(env, "book:collateral")
    harness.run_step(env, "book:activation")

    def step(name, params=None):
        try:
            return harness.run_step(env, f"book:{name}", params, timeout=settings.step_timeout)
        except harness.StepTimeout as exc:
            return {"seconds": None, "peak_mb": None, "stopped_after": round(exc.seconds)}

    steps, floors, proposal = book.register_steps(env, settings, step)
    figures = book.step_figures(steps, floors, book.REGISTER_STEPS, scale)
    notes = [
        f"Book: {report.number(intake['book'])} orders from {settings.buyers} buyers, through the order service "
        f"in batches of {book.SERVICE_BATCH} (subscription {made['number']}).",
        "Ratios: the written registers over the CSV floor's seconds; the satisfied register over lxml's parse "
        "with validation of the same file (its CSV ratio is in its row).",
        f"The satisfied register's proposal (XML, pro rata) took {report.seconds(proposal['seconds'])}; "
        f"the upload itself {report.seconds(steps['satisfied'].get('upload_seconds'))}.",
    ]
    if size != book.FULL_BOOK:
        notes.insert(0, f"BENCH_ORDERS={size}: the step time targets are scaled to the book (×{scale:g}).")
    return {"title": "Registers of the subscription book", "floors": floors, "figures": figures, "notes": notes}

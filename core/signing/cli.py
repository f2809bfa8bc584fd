"""The ``is2in pki`` commands: a demo certification authority and a key store for each demo first head, so
that signing can be tried end to end without a key of НУЦ РК (``core.signing.demo``)."""

import click
from flask import current_app
from flask.cli import with_appcontext

from core.signing.demo import DEMO_PASSWORD


@click.group()
def pki():
    """Certificates for trying out signing (demo only)."""


@pki.command("demo")
@click.option("--force", is_flag=True, help="Make a new root CA and key stores even if they exist.")
@with_appcontext
def demo(force):
    """Write a demo root CA into <instance>/trust/, the Exchange's demo seal, and a key store (password
    Demo!2345) for the first head of every demo organisation that files, with the IIN and BIN of the demo
    data: <instance>/demo/ceo.p12 (Demo Issuer), brokerceo.p12, auditceo.p12, candidateceo.p12."""
    from core.db import db
    from core.signing import demo as demo_pki

    db.connect(reuse_if_open=True)
    try:
        made = demo_pki.ensure(force=force)
    except demo_pki.NoDemoData as exc:
        raise click.ClickException(str(exc)) from None
    if not made.made:
        click.echo(f"demo PKI already there (use --force to make a new one):\n  {made.root}")
    else:
        click.echo(f"the Exchange's demo seal (IS2IN_SEAL_P12): {made.seal}")
        click.echo(f"root CA (trusted by the portal): {made.root}")
        click.echo(f"its CRL (revocation evidence, IS2IN_CRL_DIR): {made.crl}")
    for email, path in made.stores.items():
        click.echo(f"key store of {email} (password {DEMO_PASSWORD}): {path}")
    example = made.stores.get("ceo@demo.kz") or next(iter(made.stores.values()))
    click.echo(
        "sign a downloaded document with openssl:\n"
        f"  openssl pkcs12 -in {example} -nodes -passin 'pass:{DEMO_PASSWORD}' -out head.pem\n"
        "  openssl cms -sign -binary -md sha256 -outform DER -in document.pdf -signer head.pem "
        "-out document.pdf.cms"
    )


OUTCOME_LINES = {
    "valid": "VALID: a document issued by the Exchange, sealed over every byte; every signature valid",
    "invalid": "INVALID: the Exchange's seal or a signature does not hold",
    "not_exchange": "NOT AN EXCHANGE DOCUMENT: no seal of the Exchange covers this file",
    "unavailable": "CANNOT CHECK NOW: try again later",
}


@click.command("verify")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--document",
    "document_path",
    type=click.Path(exists=True, dir_okay=False),
    help="The document a detached CMS signature (PATH) belongs to.",
)
@with_appcontext
def verify(path, document_path):
    """Check a signed PDF (the Exchange's seal over the whole file, then the signatures embedded under it), or
    a CMS signature with --document. The first line says the outcome; the exit status tells it to scripts:
    0 valid, 1 invalid, 2 not a document issued by the Exchange, 3 cannot check now."""
    import logging
    from pathlib import Path

    from core.db import db
    from core.signing import check

    # pyHanko and pypdf log what they stumble on in a hostile file with tracebacks: the outcome line says it.
    for name in ("pyhanko", "pyhanko_certvalidator", "pypdf", "core.signing"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    try:
        db.connect(reuse_if_open=True)
        data = Path(path).read_bytes()
        if document_path:
            result = check.check_cms(Path(document_path).read_bytes(), data, current_app.config)
        elif data.startswith(b"%PDF"):
            result = check.check_pdf(data, current_app.config)
        else:
            result = check.Result(
                problem="not a PDF: give a signed copy (PDF), or a CMS signature with --document",
                verdict=check.NOT_EXCHANGE,
            )
    except Exception as e:  # the database or the file store is down: say so in one line, never a traceback
        click.echo(f"{OUTCOME_LINES['unavailable']} ({e.__class__.__name__})")
        raise SystemExit(check.EXIT_CODES["unavailable"]) from None
    outcome = result.outcome
    line = OUTCOME_LINES[outcome]
    if document_path and outcome == "valid":
        line = "VALID: a signature the Exchange accepted for a document it issued"
    if result.document is not None and outcome != "not_exchange":
        line += f" — {result.document.title} (code {result.document.code})"
    click.echo(line)
    if result.problem:
        click.echo(f"  {result.problem}")
    from core import clock

    for finding in result.findings:
        mark = "valid  " if finding.ok else "INVALID"
        moment = finding.when
        when = f", {clock.to_local(moment):%Y-%m-%d %H:%M} ({clock.zone_name()})" if moment else ""
        click.echo(f"  {mark} {finding.kind}: {finding.who} {finding.organisation}{when} — {finding.status}")
    raise SystemExit(result.exit_code)

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
    for email, path in made.stores.items():
        click.echo(f"key store of {email} (password {DEMO_PASSWORD}): {path}")
    example = made.stores.get("ceo@demo.kz") or next(iter(made.stores.values()))
    click.echo(
        "sign a downloaded document with openssl:\n"
        f"  openssl pkcs12 -in {example} -nodes -passin 'pass:{DEMO_PASSWORD}' -out head.pem\n"
        "  openssl cms -sign -binary -md sha256 -outform DER -in document.pdf -signer head.pem "
        "-out document.pdf.cms"
    )


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
    """Check a signed PDF (the Exchange's seal and the signatures embedded in it), or a CMS signature with
    --document; exit status 0 only when every signature is valid and the document unchanged."""
    from pathlib import Path

    from core.db import db
    from core.signing import check

    db.connect(reuse_if_open=True)
    data = Path(path).read_bytes()
    if document_path:
        result = check.check_cms(Path(document_path).read_bytes(), data, current_app.config)
    else:
        result = check.check_pdf(data, current_app.config)
    if result.problem:
        click.echo(result.problem)
        raise SystemExit(2)
    if result.document is not None:
        click.echo(f"document: {result.document.title} (code {result.document.code})")
    for finding in result.findings:
        mark = "VALID  " if finding.ok else "INVALID"
        when = f", {finding.when:%Y-%m-%d %H:%M %Z}" if finding.when else ""
        click.echo(f"{mark} {finding.kind}: {finding.who} {finding.organisation}{when} — {finding.status}")
    unchanged = {True: "unchanged", False: "CHANGED", None: "unknown"}[result.unchanged]
    click.echo(f"document: {unchanged}")
    raise SystemExit(0 if result.ok else 1)

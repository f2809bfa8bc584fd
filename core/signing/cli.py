"""The ``is2in pki`` commands: a demo certification authority and a key store for the demo first head, so
that signing can be tried end to end without a key of НУЦ РК."""

import click
from flask import current_app
from flask.cli import with_appcontext

DEMO_PASSWORD = "Demo!2345"  # the demo PKI's published password, never a real one  # nosec B105
DEMO_FIRST_HEAD = "ceo@demo.kz"
DEMO_ROOT_NAME = "IS2IN DEMO ROOT CA (RSA)"
ROOT_FILE = "demo-root-ca.pem"


@click.group()
def pki():
    """Certificates for trying out signing (demo only)."""


@pki.command("demo")
@click.option("--force", is_flag=True, help="Make a new root CA and key store even if they exist.")
@with_appcontext
def demo(force):
    """Write a demo root CA into <instance>/trust/ and the demo first head's key store (password Demo!2345)
    into <instance>/demo/ceo.p12, with the IIN and BIN of the demo data."""
    from pathlib import Path

    from core.accounts.models import Organisation, User
    from core.db import db
    from core.signing import pki as kit

    instance = Path(current_app.instance_path)
    root_path = instance / "trust" / ROOT_FILE
    store_path = instance / "demo" / "ceo.p12"
    if root_path.exists() and store_path.exists() and not force:
        click.echo(f"demo PKI already there (use --force to make a new one):\n  {root_path}\n  {store_path}")
        return

    db.connect(reuse_if_open=True)
    head = User.get_or_none(User.email == DEMO_FIRST_HEAD)
    if head is None or not head.iin:
        raise click.ClickException(f"no demo first head {DEMO_FIRST_HEAD} with an IIN: run `is2in demo` first")
    organisation = head.organisation

    ca = kit.make_ca(DEMO_ROOT_NAME)
    person = kit.make_person_cert(
        ca,
        surname=head.last_name.upper(),
        name=head.first_name.upper(),
        patronymic=(head.middle_name or "").upper(),
        iin=head.iin,
        bin=organisation.bin,
        organisation=f"{organisation.legal_form} «{organisation.name_ru}»".upper(),
        purpose="sign",
    )
    root_path.parent.mkdir(parents=True, exist_ok=True)
    store_path.parent.mkdir(parents=True, exist_ok=True)
    root_path.write_bytes(ca.cert_pem)
    store_path.write_bytes(kit.to_pkcs12(person.cert, person.key, person.chain, DEMO_PASSWORD))
    store_path.chmod(0o600)
    exchange = Organisation.exchange()
    seal = kit.make_seal_cert(
        ca,
        name="ЭЛЕКТРОННАЯ ПЕЧАТЬ БИРЖИ (DEMO)",
        organisation=exchange.name_ru if exchange else "АО «Казахстанская фондовая биржа»",
        bin=exchange.bin if exchange else "000000000000",
    )
    seal_path = Path(current_app.config["SEAL_P12"])
    seal_path.parent.mkdir(parents=True, exist_ok=True)
    seal_path.write_bytes(kit.to_pkcs12(seal.cert, seal.key, seal.chain, current_app.config.get("SEAL_PASSWORD") or ""))
    seal_path.chmod(0o600)
    click.echo(f"the Exchange's demo seal (IS2IN_SEAL_P12): {seal_path}")
    click.echo(f"root CA (trusted by the portal): {root_path}")
    click.echo(
        f"key store of {head.email} (IIN {head.iin}, BIN {organisation.bin}, password {DEMO_PASSWORD}): {store_path}"
    )
    click.echo(
        "sign a downloaded document with openssl:\n"
        f"  openssl pkcs12 -in {store_path} -nodes -passin 'pass:{DEMO_PASSWORD}' -out ceo.pem\n"
        "  openssl cms -sign -binary -md sha256 -outform DER -in document.pdf -signer ceo.pem "
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

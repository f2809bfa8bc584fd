"""register-v1.xsd checked over an uploaded XML register in a process of its own (``reader.SchemaCheck``), so that
the schema, which lxml checks holding the interpreter's lock, takes the second core while the worker reads and
checks the rows on the first. Run as a script, ``python -I xsd_check.py <register> <schema>``: it imports lxml
only, never the app, and prints one JSON line, ``{"ok": true}`` or the first breach's ``line`` and ``msg`` as
lxml gave them.

The pass is the validating pass of ``reader.xml_rows`` less the rows: the same parser options (entities, DTDs and
the network off, comments and processing instructions dropped), each ``Order`` dropped once read, and a document
that ends before its root is closed counted as a breach (lxml validating with entities off may stop at a broken
tag without a word). It is only started once ``reader._xml_gate`` has accepted the file."""

import json
import sys

from lxml import etree

NS = "urn:kase:is2in:subscription:register:1"
ORDER, ORDERS, REGISTER = f"{{{NS}}}Order", f"{{{NS}}}Orders", f"{{{NS}}}Register"
INCOMPLETE = "the document ends before Register is closed"


def first_breach(path: str, schema_path: str) -> tuple[int, str] | None:
    """The line and message of the first breach of the schema (or of XML itself), or None."""
    schema = etree.XMLSchema(etree.parse(schema_path, etree.XMLParser(resolve_entities=False, no_network=True)))
    complete = False
    try:
        for _event, elem in etree.iterparse(
            path,
            events=("end",),
            tag=(ORDER, REGISTER),
            schema=schema,
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            huge_tree=False,
            remove_comments=True,
            remove_pis=True,
        ):
            if elem.tag == REGISTER:
                complete = complete or elem.getparent() is None
                continue
            elem.clear()
            parent = elem.getparent()
            if parent is not None and parent.tag == ORDERS:
                while elem.getprevious() is not None:
                    del parent[0]
        if not complete:
            return 0, INCOMPLETE
    except etree.XMLSyntaxError as exc:
        return exc.lineno or 0, str(exc.msg or exc)
    return None


def main(argv: list[str]) -> int:
    try:
        breach = first_breach(argv[1], argv[2])
    except (LookupError, ValueError, OSError) as exc:  # the reader reports these itself, on its own pass
        print(json.dumps({"error": type(exc).__name__}), flush=True)
        return 0
    print(json.dumps({"ok": True} if breach is None else {"line": breach[0], "msg": breach[1]}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

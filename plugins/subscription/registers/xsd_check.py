"""register-v1.xsd checked over an uploaded XML register in a process of its own (``reader.SchemaCheck``), so that
the schema, which lxml checks holding the interpreter's lock, takes the second core while the worker reads and
checks the rows on the first. Run as a script, ``python -I xsd_check.py <register> <schema>``: it imports lxml
only, never the app. As it validates it prints the texts of columns 1-10 of each ``Order`` (``cells``), one line
an order, so that the worker does not parse the file a second time; then one JSON line, ``{"ok": true}`` or the
first breach's ``line`` and ``msg`` as lxml gave them (the worker then reads the file itself, from the start).

A line of texts is ``R`` and the ten texts joined by tabs, or, when a text holds a tab or a line break, ``J`` and
the ten as a JSON list; a cell without text (an empty or missing element) is an empty text.

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
MISSING = "\x02"  # a cell whose element is not there (yet): a character XML 1.0 cannot carry, so no text is one

# Where each cell's text goes in a line: Number 0, Submitted 1, and the cells of Accepted (columns 3-6) and
# Satisfied (7-10) 2-9; as ``reader._xml_row`` read them when it walked the tree itself.
_TOP = {f"{{{NS}}}Number": 0, f"{{{NS}}}Submitted": 1}
_GROUPS = {
    f"{{{NS}}}{group}": {
        f"{{{NS}}}{name}": index for index, name in enumerate(("Price", "Yield", "Quantity", "Volume"), start)
    }
    for group, start in (("Accepted", 2), ("Satisfied", 6))
}


def cells(elem) -> list:
    """Columns 1-10 of an ``Order`` as texts: for each, the text of the first element at its path (as ``find``
    takes it: Number, Submitted, Accepted/Price, ...), in one walk over the children; "" for an element without
    text, ``MISSING`` where there is no element."""
    texts = [MISSING] * 10
    for child in elem:
        tag = child.tag
        index = _TOP.get(tag)
        if index is not None:
            if texts[index] is MISSING:
                texts[index] = child.text or ""
            continue
        group = _GROUPS.get(tag)
        if group is not None:
            for cell in child:
                index = group.get(cell.tag)
                if index is not None and texts[index] is MISSING:
                    texts[index] = cell.text or ""
    return texts


_ACCEPTED, _SATISFIED = f"{{{NS}}}Accepted", f"{{{NS}}}Satisfied"


def valid_cells(elem) -> list:
    """``cells`` of an ``Order`` the schema holds, which is the only kind whose texts the worker keeps (on a breach it
    reads the file itself): Number, Submitted and Accepted first, then Satisfied or what follows, each cell at
    most once; read by position, without walking the investor's and buyer's elements. Anything else is left to
    ``cells``."""
    try:
        number, submitted, accepted = elem[0], elem[1], elem[2]
        texts = [number.text or "", submitted.text or "", "", "", "", "", "", "", "", ""]
        group = _GROUPS[_ACCEPTED]
        for cell in accepted:
            texts[group[cell.tag]] = cell.text or ""
        if len(elem) > 3:
            satisfied = elem[3]
            if satisfied.tag == _SATISFIED:
                group = _GROUPS[_SATISFIED]
                for cell in satisfied:
                    texts[group[cell.tag]] = cell.text or ""
    except (IndexError, KeyError):
        return cells(elem)
    return texts


def _line(texts: list) -> bytes:
    line = "\t".join(texts).replace(MISSING, "")
    if line.count("\t") != 9 or "\n" in line or "\r" in line:
        return b"J" + json.dumps(["" if text is MISSING else text for text in texts]).encode("utf-8") + b"\n"
    return b"R" + line.encode("utf-8") + b"\n"


def first_breach(path: str, schema_path: str, out=None) -> tuple[int, str] | None:
    """The line and message of the first breach of the schema (or of XML itself), or None. ``out``: a binary
    file the texts of each order are written to as they are read (``cells``)."""
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
            if out is not None:
                out.write(_line(valid_cells(elem)))
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
    out = sys.stdout.buffer
    try:
        breach = first_breach(argv[1], argv[2], out)
    except (LookupError, ValueError, OSError) as exc:  # the reader reports these itself, on its own pass
        answer = {"error": type(exc).__name__}
    else:
        answer = {"ok": True} if breach is None else {"line": breach[0], "msg": breach[1]}
    out.write(json.dumps(answer).encode("utf-8") + b"\n")
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

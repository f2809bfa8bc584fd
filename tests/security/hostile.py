"""Hypothesis strategies for hostile input: the strings, numbers, dates, files and JSON an attacker or a broken
client sends, and the settings that keep each property test bounded."""

import io
import os
import zipfile

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# Derandomised in CI, so a landing never depends on luck; random on a developer's machine, to keep exploring.
CI = bool(os.environ.get("CI"))
# IS2IN_FUZZ_SCALE=10 runs ten times the examples everywhere, for a longer hunt than `make test` affords.
SCALE = float(os.environ.get("IS2IN_FUZZ_SCALE", "1"))


def bounded(examples: int, **extra):
    return settings(
        max_examples=max(1, int(examples * SCALE)),
        deadline=None,
        database=None,
        derandomize=CI,
        print_blob=True,
        suppress_health_check=list(HealthCheck),
        **extra,
    )


# Classic payloads: injections, traversal, control characters, encodings, numbers no column holds.
PAYLOADS = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\r\n\r\nSet-Cookie: x=1",
    "' OR '1'='1' --",
    '"; DROP TABLE users; --',
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "{{7*7}}{% raw %}",
    "${jndi:ldap://127.0.0.1/x}",
    "../../../../etc/passwd",
    "..\\..\\windows\\win.ini",
    "%00%2e%2e%2f",
    "\ufeff\u202e\u200b",
    "１２３",
    "¹²³",
    "٣٤٥",
    "Ⅻ",
    "𝟙𝟚𝟛",
    "NaN",
    "-Infinity",
    "1e309",
    "-0",
    "0x1F",
    "1_000",
    "2147483648",
    "-2147483649",
    "9223372036854775808",
    "99999999999999999999999999999999.99",
    "0.000000000000000000000001",
    "31.02.2024",
    "2024-02-30",
    "0000-00-00",
    "9999-12-31",
    "0001-01-01",
    "24:61",
    "true",
    "null",
    "[]",
    "{}",
    "y",
    "on",
    "-1",
    "0",
    "KZ1C00000876",
    "KZ1C0000087\u0036",
    "123456789012",
    "ӘәҒғҚқҢңӨөҰұҮүҺһІі",
]

text = st.text(max_size=40)
unicode_text = st.text(alphabet=st.characters(codec="utf-8"), max_size=40)
numbers = st.one_of(
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
)
dates = st.one_of(
    st.dates().map(lambda d: d.isoformat()),
    st.dates().map(lambda d: d.strftime("%d.%m.%Y")),
    st.datetimes().map(lambda d: d.isoformat()),
    st.times().map(lambda t: t.isoformat()),
)
# Huge values: past the form size limits (413) as well as under them.
huge = st.sampled_from([1_000, 70_000, 600_000]).map(lambda n: "Ж" * n)
hostile_text = st.one_of(st.sampled_from(PAYLOADS), text, unicode_text, numbers, dates)

# field names a form does not have
extra_names = st.one_of(
    st.sampled_from(["id", "user_id", "organisation", "is_admin", "status", "version", "csrf_token", "__proto__"]),
    st.text(min_size=1, max_size=20),
)


def _zip(parts: dict) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return buffer.getvalue()


QUADRATIC_BLOWUP = (
    b'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY a "' + b"a" * 50_000 + b'">]>\n<r>' + b"&a;" * 5_000 + b"</r>"
)
BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + b"".join(
        b' <!ENTITY lol%d "%s">\n' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10)
    )
    + b']>\n<Register xmlns="urn:kase:is2in:subscription:register:1">&lol9;</Register>'
)
EXTERNAL_ENTITY = (
    b'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
    b'<Register xmlns="urn:kase:is2in:subscription:register:1">&x;</Register>'
)
EXTERNAL_DTD = (
    b'<?xml version="1.0"?>\n<!DOCTYPE r SYSTEM "http://127.0.0.1:9/evil.dtd">\n'
    b'<Register xmlns="urn:kase:is2in:subscription:register:1"/>'
)
PARAMETER_ENTITY = b'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY % p SYSTEM "http://127.0.0.1:9/p.dtd"> %p;]>\n<r/>'
HOSTILE_XML = [BILLION_LAUGHS, EXTERNAL_ENTITY, EXTERNAL_DTD, PARAMETER_ENTITY, QUADRATIC_BLOWUP]

file_bytes = st.one_of(
    st.binary(max_size=2000),
    st.binary(max_size=500).map(lambda b: b"%PDF-1.4\n" + b),
    st.binary(max_size=500).map(lambda b: b"PK\x03\x04" + b),
    st.binary(max_size=200).map(lambda b: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b),
    st.sampled_from(HOSTILE_XML),
    st.dictionaries(
        st.sampled_from(["[Content_Types].xml", "word/document.xml", "xl/workbook.xml", "../x"]),
        st.binary(max_size=100),
        max_size=3,
    ).map(_zip),
    st.just(b""),
)
file_names = st.one_of(
    st.sampled_from(["doc.pdf", "../../../etc/passwd", "C:\\boot.ini", "a\x00.pdf", "x" * 300 + ".pdf", ".", ""]),
    st.text(max_size=30),
)
files = st.tuples(file_bytes, file_names).map(lambda pair: (io.BytesIO(pair[0]), pair[1]))

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    hostile_text,
)
json_values = st.recursive(
    json_scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3), max_leaves=6
)

"""Writing DATEX II XML with lxml: namespaces, clean text, elements, and a streamed document.

Text goes into elements through lxml only, which escapes markup (`<b>&amp;` stays text);
characters XML 1.0 cannot carry (C0 controls but tab, newline and return; DEL and C1
controls; U+FFFE, U+FFFF) are dropped and strings cut to com:String's 1,024 characters, so
any stored name still gives a well-formed, schema-valid document.
"""

import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from xml.sax import saxutils

from lxml import etree

NS = {
    "d2": "http://datex2.eu/schema/3/d2Payload",
    "com": "http://datex2.eu/schema/3/common",
    "locx": "http://datex2.eu/schema/3/locationExtension",
    "loc": "http://datex2.eu/schema/3/locationReferencing",
    "afac": "http://datex2.eu/schema/3/afirFacilities",
    "aegi": "http://datex2.eu/schema/3/afirEnergyInfrastructure",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
}
XSI_TYPE = f"{{{NS['xsi']}}}type"
LANG = "es"  # the register's and the operators' names are Spanish
MAX_STRING = 1024  # com:String
CREATOR = ("es", "SGV")  # publicationCreator: country, national identifier
TABLE_NAME = "SGV: public recharging points in Spain (RIPREE, with OCPI data)"
ATTRIBUTE_ENTITIES = {'"': "&quot;"}
UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")


def clean(text: object) -> str:
    """Return text XML 1.0 and com:String can carry: no control characters, ≤ 1,024 chars."""
    return UNSAFE.sub("", str(text))[:MAX_STRING]


def escape(text: object) -> str:
    """Return clean(text) escaped for XML text or a double-quoted attribute."""
    return saxutils.escape(clean(text), ATTRIBUTE_ENTITIES)


def qname(name: str) -> str:
    """Return the Clark name of 'prefix:local'."""
    prefix, local = name.split(":")
    return f"{{{NS[prefix]}}}{local}"


def sub(parent: etree._Element, name: str, text: object = None, **attrs: str) -> etree._Element:
    """Append element `name` ('prefix:local') with text and attributes (xsi_type: xsi:type)."""
    element = etree.SubElement(parent, qname(name))
    for key, value in attrs.items():
        element.set(XSI_TYPE if key == "xsi_type" else key, clean(value))
    if text is not None:
        element.text = clean(text)
    return element


def element(name: str, **attrs: str) -> etree._Element:
    """Return a free-standing element `name` (a site, written into the stream when built)."""
    root = etree.Element(qname(name), nsmap=NS)
    for key, value in attrs.items():
        root.set(key, clean(value))
    return root


def multilingual(parent: etree._Element, name: str, text: object) -> etree._Element:
    """Append a com:MultilingualString `name` holding `text` in Spanish."""
    holder = sub(parent, name)
    sub(sub(holder, "com:values"), "com:value", text, lang=LANG)
    return holder


def timestamp(moment: datetime) -> str:
    """Return a com:DateTime in UTC, to the second."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def version(moment: datetime) -> str:
    """Return a facility's version: when its data last changed, in seconds since 1970."""
    return str(int(moment.timestamp()))


class Sink:
    """A file lxml's incremental writer writes to, emptied by the stream after each part."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.parts.append(data)

    def take(self) -> bytes:
        data, self.parts = b"".join(self.parts), []
        return data


def payload(
    publication: str,
    at: datetime,
    parts: Iterable[etree._Element | bytes],
    *,
    lead: Iterable[etree._Element] = (),
    table: dict[str, str] | None = None,
) -> Iterator[bytes]:
    """Stream a d2:payload of xsi:type `publication`: its header, the `lead` elements, then
    each part — inside an aegi:energyInfrastructureTable with attributes `table` if given."""
    sink = Sink()
    with etree.xmlfile(sink, encoding="UTF-8") as xf:
        xf.write_declaration()
        attrs = {XSI_TYPE: publication, "lang": LANG, "modelBaseVersion": "3"}
        with xf.element(qname("d2:payload"), attrs, nsmap=NS):
            xf.write(text_element("com:publicationTime", timestamp(at)))
            creator = element("com:publicationCreator")
            sub(creator, "com:country", CREATOR[0])
            sub(creator, "com:nationalIdentifier", CREATOR[1])
            xf.write(creator)
            for item in lead:
                xf.write(item)
            if table is None:
                yield from _written(xf, sink, parts)
            else:
                with xf.element(qname("aegi:energyInfrastructureTable"), table):
                    xf.write(text_element("aegi:tableName", TABLE_NAME))
                    yield from _written(xf, sink, parts)
    yield sink.take()


def text_element(name: str, text: str) -> etree._Element:
    """Return a free-standing element `name` holding `text`."""
    found = element(name)
    found.text = clean(text)
    return found


def _written(
    xf: etree.xmlfile, sink: Sink, parts: Iterable[etree._Element | bytes]
) -> Iterator[bytes]:
    """Write each part, handing on what was written every few parts (memory stays flat).

    A part given as bytes is XML text written by the caller (prefixes as declared on the
    payload, values through escape()): it follows what lxml has written so far.
    """
    for n, part in enumerate(parts, 1):
        if isinstance(part, bytes):
            xf.flush()
            yield sink.take()
            yield part
            continue
        xf.write(part)
        if n % 32 == 0:
            xf.flush()
            yield sink.take()
    xf.flush()

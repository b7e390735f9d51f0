"""Read a RIPREE file (SPEC §7), CSV or GeoJSON, as a stream of raw rows.

Neither format is ever held whole in memory: CSV goes record by record, and a GeoJSON
FeatureCollection is decoded one feature at a time from a sliding text buffer (the
standard library has no streaming JSON parser, and one feature is small).
"""

import csv
import json
import re
from collections.abc import Iterator
from typing import Any, TextIO

from sgv.registry.rows import COLUMNS, RowProblem

# A row, or the reason it could not even be split into fields.
RawRow = tuple[int, dict[str, str | None] | RowProblem]


class FileError(Exception):
    """The file cannot be read as a RIPREE register at all (one line for the operator)."""


def detect_unit(text: TextIO) -> str:
    """Say whether the text is GeoJSON ("feature"), XML ("xml": DATEX II) or CSV ("line"),
    without consuming it."""
    head = text.read(1)
    while head and head.isspace():
        head = text.read(1)
    text.seek(0)
    return {"{": "feature", "<": "xml"}.get(head, "line")


def csv_rows(text: TextIO) -> Iterator[RawRow]:
    """Yield (physical line where the record starts, {column: value}) for each CSV record."""
    reader = csv.reader(text)
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        raise FileError("the file is empty") from None
    missing = [column for column in COLUMNS if column not in header]
    if missing:
        raise FileError(f"the header lacks the column(s) {', '.join(missing)} (SPEC §7)")
    if len(set(header)) != len(header):
        raise FileError("the header names a column twice")
    index = [(column, header.index(column)) for column in COLUMNS]
    last_line = reader.line_num
    try:
        for record in reader:
            line, last_line = last_line + 1, reader.line_num
            if not record:
                continue  # a blank line
            if len(record) != len(header):
                reason = f"{len(record)} fields where the header has {len(header)}"
                yield line, RowProblem(line, "row", reason)
                continue
            yield line, {column: record[i] for column, i in index}
    except csv.Error as exc:
        raise FileError(f"line {reader.line_num}: {exc}") from None


def geojson_rows(text: TextIO, chunk_size: int = 1 << 16) -> Iterator[RawRow]:
    """Yield (index in `features`, {column: value}) for each feature of a FeatureCollection."""
    stream = _JsonStream(text, chunk_size)
    stream.expect("{")
    found = False
    while stream.peek() != "}":
        key = stream.value()
        stream.expect(":")
        if key == "features":
            found = True
            for index, feature in enumerate(stream.array()):
                yield index, _feature_row(feature, index)
        elif key == "type":
            if stream.value() != "FeatureCollection":
                raise FileError("the GeoJSON is not a FeatureCollection")
        else:
            stream.value()
        if stream.peek() == ",":
            stream.advance()
        elif stream.peek() != "}":
            raise FileError(f"invalid JSON near character {stream.offset}")
    if not found:
        raise FileError("the GeoJSON has no features")


def _text(value: Any) -> str | None:
    """Turn a GeoJSON property into the text a CSV cell would hold."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # 7011.0 → "7011", then padded like a CSV postcode
    if isinstance(value, list):
        return "|".join(str(item) for item in value)
    return str(value)


def _feature_row(feature: Any, index: int) -> dict[str, str | None] | RowProblem:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        return RowProblem(index, "type", "not a GeoJSON Feature", "feature")
    properties = feature.get("properties") or {}
    if not isinstance(properties, dict):
        return RowProblem(index, "properties", "not an object", "feature")
    row = {column: _text(properties.get(column)) for column in COLUMNS}
    geometry = feature.get("geometry")
    if geometry is not None:  # authoritative when present; else latitude/longitude properties
        is_point = isinstance(geometry, dict) and geometry.get("type") == "Point"
        coordinates = geometry.get("coordinates") if is_point else None
        if (
            not is_point
            or not isinstance(coordinates, list)
            or len(coordinates) < 2
            or not all(isinstance(c, int | float) for c in coordinates[:2])
        ):
            return RowProblem(index, "geometry", "not a Point [longitude, latitude]", "feature")
        row["longitude"], row["latitude"] = _text(coordinates[0]), _text(coordinates[1])
    return row


class _JsonStream:
    """A cursor over JSON text read in chunks: values are decoded one at a time."""

    _SPACE = re.compile(r"\s*")

    def __init__(self, text: TextIO, chunk_size: int) -> None:
        self.text, self.chunk_size = text, chunk_size
        self.buffer, self.pos, self.consumed = "", 0, 0
        self.decoder = json.JSONDecoder()

    @property
    def offset(self) -> int:
        return self.consumed + self.pos

    def _fill(self) -> bool:
        chunk = self.text.read(self.chunk_size)
        if not chunk:
            return False
        self.consumed += self.pos
        self.buffer, self.pos = self.buffer[self.pos :] + chunk, 0
        return True

    def peek(self) -> str:
        while True:
            self.pos = self._SPACE.match(self.buffer, self.pos).end()
            if self.pos < len(self.buffer) or not self._fill():
                return self.buffer[self.pos : self.pos + 1]

    def advance(self) -> None:
        self.pos += 1

    def expect(self, char: str) -> None:
        if self.peek() != char:
            raise FileError(f"invalid JSON near character {self.offset}: expected {char!r}")
        self.advance()

    def value(self) -> Any:
        self.peek()
        while True:
            try:
                value, end = self.decoder.raw_decode(self.buffer, self.pos)
            except json.JSONDecodeError as exc:
                if self._fill():
                    continue  # the value runs on into the next chunk
                raise FileError(f"invalid JSON near character {self.offset}: {exc.msg}") from None
            # A number at the very end of the buffer may go on in the next chunk.
            if end == len(self.buffer) and self._fill():
                continue
            self.pos = end
            return value

    def array(self) -> Iterator[Any]:
        self.expect("[")
        if self.peek() == "]":
            self.advance()
            return
        while True:
            yield self.value()
            if self.peek() == ",":
                self.advance()
            elif self.peek() == "]":
                self.advance()
                return
            else:
                raise FileError(f"invalid JSON near character {self.offset}: expected , or ]")

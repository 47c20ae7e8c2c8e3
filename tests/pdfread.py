"""Read back what a PDF made by reportlab shows, for tests: its text runs (through each
embedded font's ToUnicode map), its embedded fonts and its rectangles. Only the part of PDF
that reportlab writes is understood (plain objects, Flate and ASCII85 streams, one-byte font
subsets)."""

import base64
import re
import zlib
from dataclasses import dataclass, field

OBJECT = re.compile(rb"(\d+) 0 obj\s*")
REFERENCE = rb"(\d+) 0 R"
ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


@dataclass
class PdfContent:
    """The objects of one PDF: dictionaries as raw bytes and decoded streams by number."""

    heads: dict[int, bytes] = field(default_factory=dict)
    streams: dict[int, bytes] = field(default_factory=dict)


def _decode(head: bytes, raw: bytes) -> bytes:
    if b"/ASCII85Decode" in head:
        raw = base64.a85decode(raw.strip().removesuffix(b"~>"))
    if b"/FlateDecode" in head:
        raw = zlib.decompress(raw)
    return raw


def pdf_objects(data: bytes) -> PdfContent:
    """Return every object of `data`, streams decoded."""
    content = PdfContent()
    position = 0
    while match := OBJECT.search(data, position):
        number, start = int(match.group(1)), match.end()
        stream_at = data.find(b"stream", start)
        end_at = data.find(b"endobj", start)
        if stream_at == -1 or end_at < stream_at:
            content.heads[number] = data[start:end_at]
            position = end_at
            continue
        head = data[start:stream_at]
        length = int(re.search(rb"/Length (\d+)", head).group(1))
        body_at = stream_at + len(b"stream")
        body_at += 2 if data[body_at:body_at + 2] == b"\r\n" else 1
        content.heads[number] = head
        content.streams[number] = _decode(head, data[body_at:body_at + length])
        position = data.find(b"endobj", body_at + length)
    return content


def _to_unicode(cmap: bytes) -> dict[int, str]:
    mapping: dict[int, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", cmap, re.S):
        for code, text in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            mapping[int(code, 16)] = bytes.fromhex(text.decode()).decode("utf-16-be")
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", cmap, re.S):
        for low, high, text in re.findall(
            rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block
        ):
            first = int(text, 16)
            for offset, code in enumerate(range(int(low, 16), int(high, 16) + 1)):
                mapping[code] = chr(first + offset)
    return mapping


def _font_maps(content: PdfContent) -> dict[bytes, dict[int, str] | None]:
    """Return each font resource name's code → text map (None: a standard 8-bit font)."""
    fonts: dict[bytes, dict[int, str] | None] = {}
    for head in content.heads.values():
        if not re.search(rb"/Type /Font\s", head):
            continue
        name = re.search(rb"/Name /(\S+)", head).group(1)
        to_unicode = re.search(rb"/ToUnicode " + REFERENCE, head)
        fonts[name] = (
            _to_unicode(content.streams[int(to_unicode.group(1))]) if to_unicode else None
        )
    return fonts


def _page_streams(content: PdfContent) -> list[bytes]:
    """Return the decoded content streams of the pages, in object order."""
    return [
        content.streams[int(number)]
        for head in content.heads.values() if re.search(rb"/Type /Page\s", head)
        for number in re.findall(rb"/Contents " + REFERENCE, head)
    ]


def _literal(raw: bytes) -> bytes:
    out = bytearray()
    index = 0
    while index < len(raw):
        char = raw[index:index + 1]
        if char != b"\\":
            out += char
            index += 1
            continue
        octal = re.match(rb"[0-7]{1,3}", raw[index + 1:index + 4])
        if octal:
            out.append(int(octal.group(0), 8) & 0xFF)
            index += 1 + len(octal.group(0))
        else:
            escaped = raw[index + 1:index + 2]
            out += ESCAPES.get(escaped, escaped)
            index += 2
    return bytes(out)


TOKEN = re.compile(rb"/(\S+)\s+[\d.]+\s+Tf|\(((?:\\.|[^\\)])*)\)\s*Tj|\[(.*?)\]\s*TJ", re.S)
STRING = re.compile(rb"\(((?:\\.|[^\\)])*)\)", re.S)


def pdf_text_runs(data: bytes) -> list[str]:
    """Return the text runs the pages of `data` show, in drawing order (one per Tj/TJ)."""
    content = pdf_objects(data)
    fonts = _font_maps(content)
    runs: list[str] = []
    for stream in _page_streams(content):
        mapping: dict[int, str] | None = None
        for token in TOKEN.finditer(stream):
            if token.group(1) is not None:
                mapping = fonts.get(token.group(1))
                continue
            if token.group(2) is not None:
                pieces = [token.group(2)]
            else:
                pieces = STRING.findall(token.group(3))
            codes = b"".join(_literal(piece) for piece in pieces)
            if mapping is None:
                runs.append(codes.decode("latin-1"))
            else:
                runs.append("".join(mapping.get(code, "\ufffd") for code in codes))
    return runs


def pdf_embedded_fonts(data: bytes) -> list[str]:
    """Return the names of the fonts whose program is embedded (FontFile2: TrueType),
    without a subset prefix such as 'AAAAAA+'."""
    content = pdf_objects(data)
    return sorted(
        re.sub(r"^[A-Z]{6}\+", "", re.search(rb"/FontName /(\S+)", head).group(1).decode())
        for head in content.heads.values()
        if b"/Type /FontDescriptor" in head and b"/FontFile2" in head
    )


NUMBER = rb"(-?[\d.]+)"
RECTANGLE = re.compile(rb"\s+".join([NUMBER] * 4) + rb"\s+re\b")


def pdf_rectangles(data: bytes) -> list[tuple[float, float, float, float]]:
    """Return (x, y, width, height) of every rectangle (`re`) the pages draw, in page
    coordinates (valid for content drawn without a transformation, as reportlab's canvas
    does unless told otherwise)."""
    return [
        (float(x), float(y), float(width), float(height))
        for stream in _page_streams(pdf_objects(data))
        for x, y, width, height in RECTANGLE.findall(stream)
    ]

"""Reading a diagram's bytes in the encoding it declares, and storing it as UTF-8.

Modelers write what their platform likes: bpmn.io and Camunda Modeler UTF-8, older tools ISO-8859-1 or plain
ASCII, Chinese tools GB18030 / GBK, some Windows tools UTF-16 with a byte-order mark. ``to_utf8`` decodes the
bytes the way XML 1.0 (appendix F) finds the encoding — a byte-order mark, else the ``encoding`` of the XML
declaration, else UTF-8 — with any codec Python knows, and returns the same text as UTF-8 with the declaration
rewritten to say so. Only bytes that do not decode are refused, naming the offset and the line.
"""

from __future__ import annotations

import codecs
import re

from runner.bilingual import both

# byte-order marks, longest first (the UTF-32 LE mark begins with the UTF-16 LE one)
BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# "<?" without a mark (XML 1.0 appendix F)
UNMARKED_WIDE = ((b"<\x00?\x00", "utf-16-le"), (b"\x00<\x00?", "utf-16-be"))
# labels Chinese tools use for what is really the larger set (as browsers read them, WHATWG encoding standard)
SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "cp936": "gb18030", "euc-cn": "gb18030"}

_DECLARED = re.compile(rb"""^\s*<\?xml[^>]*?\bencoding\s*=\s*["']([^"']*)["']""")
_DECLARATION_ENCODING = re.compile(r"""^(\s*<\?xml[^>]*?\bencoding\s*=\s*)(["'])[^"']*\2""")


class EncodingRefused(ValueError):
    """The bytes do not decode in the encoding the file declares (``line`` is 1-based, None if unknown)."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


def declared_encoding(content: bytes) -> str | None:
    """The ``encoding`` the XML declaration of ``content`` names (None without one)."""
    found = _DECLARED.match(content.removeprefix(codecs.BOM_UTF8))
    return found.group(1).decode("ascii", "replace").strip() if found else None


def _codec(label: str) -> str:
    """The Python codec for an encoding label (``EncodingRefused`` when Python has none)."""
    name = SUPERSETS.get(label.strip().lower(), label.strip())
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise EncodingRefused(
            both(
                f"XML 声明的编码 {label!r} 不受支持，请把文件存为 UTF-8",
                f"the XML declaration names encoding {label!r}, which is not supported; save the file as UTF-8",
            ),
            1,
        ) from None


def _marked(content: bytes) -> tuple[str, bytes] | None:
    """(codec, bytes without the mark) when the file starts with a byte-order mark or an unmarked ``<?``."""
    for mark, codec in BYTE_ORDER_MARKS:
        if content.startswith(mark):
            return codec, content[len(mark) :]
    for start, codec in UNMARKED_WIDE:
        if content.startswith(start):
            return codec, content
    return None


def _decode(content: bytes, codec: str, label: str) -> str:
    try:
        return content.decode(codec)
    except UnicodeDecodeError as exc:
        line = content[: exc.start].decode(codec, "replace").count("\n") + 1
        raise EncodingRefused(
            both(
                f"文件不是有效的 {label}：第 {line} 行偏移 {exc.start} 处有无效字节",
                f"file is not valid {label}: invalid byte at offset {exc.start} (line {line})",
            ),
            line,
        ) from None


def decode_diagram(content: bytes) -> str:
    """The text of a diagram file, decoded as its byte-order mark or XML declaration says (UTF-8 without)."""
    marked = _marked(content)
    if marked is not None:
        codec, body = marked
        return _decode(body, codec, codec.upper())
    label = declared_encoding(content) or "UTF-8"
    codec = _codec(label)
    if "<?xml".encode(codec, "replace") != b"<?xml":
        raise EncodingRefused(
            both(
                f"XML 声明的编码是 {label!r}，但文件没有字节顺序标记，声明却是单字节写的；请把文件存为 UTF-8",
                f"the XML declaration says encoding {label!r}, but the file has no byte-order mark and its "
                "declaration is written in single bytes; save the file as UTF-8",
            ),
            1,
        )
    return _decode(content, codec, "UTF-8" if codec == "utf-8" else label)


def as_utf8_text(text: str) -> str:
    """``text`` with any byte-order mark dropped and its XML declaration saying ``encoding="UTF-8"``."""
    text = text.removeprefix("\ufeff")
    return _DECLARATION_ENCODING.sub(r"\1\2UTF-8\2", text, count=1)


def to_utf8(content: bytes | str) -> bytes:
    """A diagram's bytes (or already decoded text) as UTF-8, its declaration rewritten to match."""
    text = content if isinstance(content, str) else decode_diagram(content)
    try:
        return as_utf8_text(text).encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate in text handed over as a string
        line = text[: exc.start].count("\n") + 1
        raise EncodingRefused(
            both(
                f"文本第 {line} 行位置 {exc.start} 处有无效字符",
                f"the text has an invalid character at position {exc.start} (line {line})",
            ),
            line,
        ) from None

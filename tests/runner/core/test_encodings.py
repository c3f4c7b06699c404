"""Tests for runner.core.encodings: a diagram is read in the encoding it declares and stored as UTF-8."""

from __future__ import annotations

import codecs

import pytest

from runner.bilingual import parts
from runner.core.encodings import EncodingRefused, declared_encoding, to_utf8

BODY = (
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">\n'
    '  <bpmn:process id="p" name="{name}"/>\n</bpmn:definitions>\n'
)


def diagram(name: str, encoding: str | None) -> str:
    declaration = f'<?xml version="1.0" encoding="{encoding}"?>\n' if encoding else '<?xml version="1.0"?>\n'
    return declaration + BODY.format(name=name)


@pytest.mark.parametrize(
    ("name", "label", "codec"),
    [
        ("Prüfung der Unterlagen", "ISO-8859-1", "latin-1"),
        ("Pruefung", "ASCII", "ascii"),
        ("Pruefung", "us-ascii", "ascii"),
        ("社保登记审核", "GB18030", "gb18030"),
        ("社保登记审核", "GBK", "gbk"),
        ("社保登记审核", "GB2312", "gb18030"),  # a GBK file labelled GB2312, as Chinese tools write them
        ("社會保險", "Big5", "big5"),
        ("社保登记审核", "utf-8", "utf-8"),
    ],
)
def test_declared_encodings_are_decoded_and_stored_as_utf8(name: str, label: str, codec: str) -> None:
    stored = to_utf8(diagram(name, label).encode(codec))
    assert stored == diagram(name, "UTF-8").encode("utf-8")
    assert declared_encoding(stored) == "UTF-8"


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-8-sig"])
def test_byte_order_marks_and_wide_encodings(codec: str) -> None:
    text = diagram("社保登记审核", "UTF-16" if "16" in codec else None)
    content = text.encode(codec)
    if codec in ("utf-16-le", "utf-16-be"):
        assert not content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))  # found by its first bytes
    stored = to_utf8(content)
    assert stored.decode("utf-8") == text.replace('encoding="UTF-16"', 'encoding="UTF-8"')


def test_without_a_declaration_the_file_is_utf8() -> None:
    assert to_utf8(diagram("审核", None).encode("utf-8")) == diagram("审核", None).encode("utf-8")
    with pytest.raises(EncodingRefused) as info:
        to_utf8(diagram("审核", None).encode("gb18030"))
    assert "not valid UTF-8" in str(info.value) and info.value.line == 3


def test_bytes_that_do_not_decode_name_their_line() -> None:
    content = diagram("Prüfung", "ASCII").encode("latin-1")
    with pytest.raises(EncodingRefused) as info:
        to_utf8(content)
    offset = content.index("ü".encode("latin-1"))
    assert parts(str(info.value)) == (
        f"文件不是有效的 ASCII：第 3 行偏移 {offset} 处有无效字节",
        f"file is not valid ASCII: invalid byte at offset {offset} (line 3)",
    )
    assert info.value.line == 3


def test_unknown_or_inconsistent_encodings_are_refused() -> None:
    with pytest.raises(EncodingRefused, match="encoding 'X-KLINGON', which is not supported"):
        to_utf8(diagram("a", "X-KLINGON").encode("ascii"))
    with pytest.raises(EncodingRefused, match="no byte-order mark"):
        to_utf8(diagram("a", "UTF-16").encode("ascii"))


def test_text_is_taken_as_it_is() -> None:
    assert to_utf8(diagram("社保", "GB18030")) == diagram("社保", "UTF-8").encode("utf-8")
    with pytest.raises(EncodingRefused, match="line 3"):
        to_utf8(diagram("\ud800", "UTF-8"))

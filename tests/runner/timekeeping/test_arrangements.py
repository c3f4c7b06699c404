"""Reading a year's holiday arrangement (runner.timekeeping.arrangements): the format, and every refusal by line number."""

from __future__ import annotations

from datetime import date

import pytest

from runner.timekeeping.arrangements import ArrangementInvalid, parse


def problems(text: str) -> list[tuple[int, str]]:
    with pytest.raises(ArrangementInvalid) as info:
        parse(text)
    return [(p["line"], p["message"]) for p in info.value.problems]


def test_the_notice_format_weekends_implied() -> None:
    found = parse("# 2027 年节假日安排\n\n2027-01-01..2027-01-03 休 元旦\n2027-02-20 班 春节调休\n")
    assert (found.year, found.title) == (2027, "2027 年节假日安排")
    assert found.days == {
        date(2027, 1, 1): (False, "元旦"),
        date(2027, 1, 2): (False, "元旦"),
        date(2027, 1, 3): (False, "元旦"),
        date(2027, 2, 20): (True, "春节调休"),
    }
    assert found.summary()["days_off"] == 3 and found.summary()["makeup_days"] == 1
    assert [e.line for e in found.entries] == [3, 4]


def test_friendly_spellings_are_read() -> None:
    text = "\ufeff2027/1/1 ~ 2027/1/3 放假 元旦\n2027-02-06 至 2027-02-14 off\n2027.2.20 补班\n"
    found = parse(text)
    assert found.title == "2027 年节假日安排"  # no comment: a plain title
    assert len(found.days) == 3 + 9 + 1 and found.days[date(2027, 2, 14)] == (False, "")
    assert found.days[date(2027, 2, 20)] == (True, "")


def test_a_new_year_range_may_begin_in_december() -> None:
    found = parse("2022-12-31..2023-01-02 休 元旦\n2023-01-28 班 春节调休\n")
    assert found.year == 2023 and date(2022, 12, 31) in found.days


def test_every_bad_line_is_named_and_nothing_is_half_read() -> None:
    text = "\n".join(
        [
            "# 2027",
            "2027-01-01..2027-01-03 休 元旦",  # 2: fine
            "2027-02-30 休 春节",  # 3: no such date
            "2027-02-20 上课",  # 4: unknown kind
            "2027-01-05 班 周二",  # 5: a make-up day on a Tuesday
            "2027-03-10..2027-03-01 休 倒序",  # 6: ends before it starts
            "2027-05-01..2027-06-15 休 过长",  # 7: longer than 31 days
            "元旦 2027-01-01",  # 8: not the format
            "2027-01-02 休 重复",  # 9: listed on line 2 already
        ]
    )
    assert [line for line, _ in problems(text)] == [3, 4, 5, 6, 7, 8, 9]
    messages = dict(problems(text))
    assert "日期不存在" in messages[3] and "休" in messages[4] and "星期二" in messages[5]
    assert "第 2 行" in messages[9]


def test_one_file_is_one_year() -> None:
    assert [line for line, _ in problems("2027-01-01 休 元旦\n2028-01-01 休 元旦\n")] == [2]
    assert [line for line, _ in problems("2026-10-01 休 国庆\n2027-01-01 休 元旦\n")] == [2]


def test_empty_or_not_text_is_refused() -> None:
    assert problems("# only a comment\n\n") == [(0, "没有任何安排 (the text lists no days)")]
    assert problems(None)[0][0] == 0  # type: ignore[arg-type]
    assert problems("2027-01-01 休 x\n" * 401)[0][0] == 401

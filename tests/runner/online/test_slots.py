"""预约: slots on working days only, capacity, the cut-off, moving, cancelling and no-shows (runner/online/slots)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

import runner
from runner.catalogue.applications import Applicant
from runner.models import Appointment
from runner.online import applications, review, slots, sweep

from .conftest import application

SHANGHAI = ZoneInfo("Asia/Shanghai")


def approved(services, submitted, n: int = 0) -> tuple[int, str]:
    person = Applicant(f"申请人{n}", ["11010519491231002X", "110101199003070011", "110101199003070038"][n],
                       f"1380000{n:04d}")  # fmt: skip
    aid, token = submitted(person)
    with services.transaction() as s:
        review.decide(s, applications.by_token(s, token), review.PASS, actor="shichang_clerk")
    return aid, token


def plan(services, **changes) -> None:
    values = {"mode": "half_day", "capacity": 1, "periods": [["09:00", "12:00"], ["13:30", "17:00"]],
              "days_ahead": 10, "cutoff_hours": 2, "active": True} | changes  # fmt: skip
    with services.transaction() as s:
        slots.save_plan(s, "shichang", actor="shichang_head", **values)


def offered(services) -> list[slots.Slot]:
    with services.transaction() as s:
        return slots.slots(s, "shichang")


def test_slots_fall_on_working_days_only(services, catalogue):
    plan(services, days_ahead=6)
    days = sorted({slot.day for slot in offered(services)})
    # Monday 28 September 09:00: the morning is past its cut-off; the National Day holiday (1–7 October) is
    # skipped and the make-up Saturday 10 October is a working day
    assert days == [date(2026, 9, 28), date(2026, 9, 29), date(2026, 9, 30), date(2026, 10, 8),
                    date(2026, 10, 9), date(2026, 10, 10)]  # fmt: skip
    first = [s.start for s in offered(services) if s.day == date(2026, 9, 28)]
    assert first == ["13:30"]
    plan(services, mode="hourly", days_ahead=1)
    assert [(s.start, s.end) for s in offered(services)] == [
        ("13:30", "14:30"),
        ("14:30", "15:30"),
        ("15:30", "16:30"),
    ]


def test_a_holiday_cannot_be_booked(services, submitted):
    plan(services)
    _, token = approved(services, submitted)
    with services.transaction() as s, pytest.raises(runner.InvalidInput, match="不是工作日"):
        slots.book(s, applications.by_token(s, token), "2026-10-01@09:00")
    with services.transaction() as s, pytest.raises(runner.InvalidInput, match="不可预约"):
        slots.book(s, applications.by_token(s, token), "2026-09-29@08:00")


def test_a_slot_takes_no_more_than_its_capacity(services, submitted):
    plan(services, capacity=2)
    tokens = [approved(services, submitted, n)[1] for n in range(3)]
    for token in tokens[:2]:
        with services.transaction() as s:
            slots.book(s, applications.by_token(s, token), "2026-09-29@09:00")
    with services.transaction() as s, pytest.raises(slots.SlotFull, match="约满"):
        slots.book(s, applications.by_token(s, tokens[2]), "2026-09-29@09:00")
    full = next(x for x in offered(services) if x.key == "2026-09-29@09:00")
    assert (full.booked, full.free) == (2, 0)
    with services.transaction() as s:  # a cancellation frees the place
        slots.cancel(s, applications.by_token(s, tokens[0]))
        assert applications.by_token(s, tokens[0]).state == applications.APPROVED
    with services.transaction() as s:
        slots.book(s, applications.by_token(s, tokens[2]), "2026-09-29@09:00")


def test_moving_and_cancelling_close_at_the_cut_off(services, submitted, clock):
    plan(services, cutoff_hours=2, capacity=3)
    _, token = approved(services, submitted)
    with services.transaction() as s:
        slots.book(s, applications.by_token(s, token), "2026-09-29@09:00")
    with services.transaction() as s:  # moved: the old booking is kept as moved
        slots.book(s, applications.by_token(s, token), "2026-09-29@13:30")
        [moved, booked] = slots.history(s, applications.by_token(s, token))
        assert (moved.state, booked.state) == (slots.MOVED, slots.BOOKED_STATE)
    clock.set(datetime(2026, 9, 29, 11, 31, tzinfo=SHANGHAI))
    with services.transaction() as s, pytest.raises(runner.InvalidInput, match="改约截止"):
        slots.book(s, applications.by_token(s, token), "2026-09-30@09:00")
    with services.transaction() as s, pytest.raises(runner.InvalidInput, match="取消截止"):
        slots.cancel(s, applications.by_token(s, token))
    with services.transaction() as s, pytest.raises(runner.InvalidInput, match="截止预约"):
        other = approved(services, submitted, 1)[1]
        slots.book(s, applications.by_token(s, other), "2026-09-29@13:30")


def test_a_no_show_releases_the_slot_and_is_recorded(services, submitted, clock):
    plan(services)
    aid, token = approved(services, submitted)
    with services.transaction() as s:
        slots.book(s, applications.by_token(s, token), "2026-09-29@09:00")
    clock.set(datetime(2026, 9, 29, 11, 59, tzinfo=SHANGHAI))
    with services.transaction() as s:
        assert sweep.sweep_online(s)["no_shows"] == 0
    clock.advance(minutes=2)
    with services.transaction() as s:
        assert sweep.sweep_online(s)["no_shows"] == 1
    row = application(services, aid)
    assert (row.state, row.no_shows) == (applications.APPROVED, 1)
    with services.transaction() as s:
        assert [a.state for a in s.query(Appointment).all()] == [slots.NO_SHOW]
        slots.book(s, applications.by_token(s, token), "2026-09-30@09:00")  # may book again


def test_only_an_approved_application_books(services, submitted):
    plan(services)
    _, token = submitted()
    with services.transaction() as s, pytest.raises(applications.WrongState):
        slots.book(s, applications.by_token(s, token), "2026-09-29@09:00")


def test_plans_are_checked(services, catalogue):
    for bad in ({"periods": [["12:00", "09:00"]]}, {"periods": [["09:00", "12:00"], ["11:00", "13:00"]]},
                {"capacity": 0}, {"mode": "weekly"}, {"periods": [["9", "12"]]}):  # fmt: skip
        with pytest.raises(runner.InvalidInput):
            plan(services, **bad)
    plan(services, active=False)
    assert offered(services) == []
    with services.transaction() as s:
        assert slots.plan_of(s, "guotu")["own"] is False  # the default plan


def test_two_bookings_at_once_never_exceed_the_capacity(services, submitted):
    import threading

    tokens = [
        approved(services, submitted, n)[1] for n in range(2)
    ]  # the default plan (no row yet): locked too
    with services.transaction() as s:
        slots.save_plan(s, "shichang", actor="shichang_head", mode="half_day", capacity=1,
                        periods=[["09:00", "12:00"]], days_ahead=5, cutoff_hours=2, active=True)  # fmt: skip
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def book(token: str) -> None:
        barrier.wait()
        try:
            services.run(
                lambda s: slots.book(s, applications.by_token(s, token, lock=True), "2026-09-29@09:00")
            )
            outcomes.append("booked")
        except slots.SlotFull:
            outcomes.append("full")

    threads = [threading.Thread(target=book, args=(t,)) for t in tokens]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["booked", "full"]
    with services.transaction() as s:
        assert s.query(Appointment).filter(Appointment.state == slots.BOOKED_STATE).count() == 1

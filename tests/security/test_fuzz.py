"""Property-based fuzzing (hypothesis): whatever a browser or an API client sends, the answer is never a 500.

- Form validation: random values (wrong types, huge, control characters, lists for scalars, junk fields) posted to
  real task pages of the joint item (acceptance, a window's review) with a valid one-time token — each answer is
  a page with errors (200/400/409) or a redirect after a valid submission.
- The JSON API: random JSON documents (any shape) posted to the routes that read a body, by callers allowed
  to use them — each answer is JSON with a code and a message, status < 500.
"""

from __future__ import annotations

import urllib.parse
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import runner
from forms.schema import get_schema
from tests.support.flow import complete, deploy_library, start_item, task

FILES = ("block_correction.bpmn", "block_refusal.bpmn", "lianban_chaogao.bpmn")
FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.text(
        alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=("Cs",)),
        max_size=20,
    ),
    st.sampled_from(
        [
            "",
            " ",
            "0",
            "-1",
            "1e309",
            "2026-02-30",
            "2026-10-01",
            "agree",
            "true",
            "null",
            "\x00",
            "𠀀" * 5000,
        ]
    ),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


def form_values(field_names: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """Form posts: the schema's own field names (and junk ones) with text or repeated values."""
    names = st.sampled_from(field_names) | st.text(min_size=1, max_size=12)
    value = st.one_of(
        st.text(max_size=60), st.sampled_from(["", "on", "1", "-5", "99999999999999999999", "2026-13-01"])
    )
    return st.dictionaries(names, value | st.lists(value, max_size=3), max_size=len(field_names) + 3)


@pytest.fixture
def joint(services: runner.Services, make_user, windows) -> dict[str, Any]:
    make_user("sc", ("shichang", "clerk"))
    make_user("gt", ("guotu", "clerk"))
    make_user("sys", ("centre", "system"))
    deploy_library(services, *FILES)
    first = start_item(services, "lianban_chaogao", {"lead_window": "shichang", "applicant": "张三"})
    second = start_item(services, "lianban_chaogao", {"lead_window": "shichang", "applicant": "李四"})
    complete(
        services, task(services, second, "accept")["id"],
        {"related_windows": ["guotu", "huanbao", "guihua"], "review_days": 3, "materials_complete": True,
         "materials_list": ["申请书"]},
    )  # fmt: skip
    return {
        "accept": task(services, first, "accept"),
        "review": task(services, second, "review", window="guotu"),
    }


@pytest.mark.parametrize(("step", "user"), [("accept", "sc"), ("review", "gt")])
def test_task_form_never_answers_500(signed_in, joint, step: str, user: str) -> None:
    target = joint[step]
    schema = get_schema(target["form_key"])
    client = signed_in(user)

    @FUZZ
    @given(values=form_values([f.name for f in schema.fields]))
    def post(values: dict[str, Any]) -> None:
        data = {**values, "submit_token": uuid.uuid4().hex}
        response = client.post(f"/tasks/{target['id']}", data=data)
        assert response.status_code < 500, response.get_data(as_text=True)[:500]
        assert response.status_code in (200, 302, 303, 400, 404, 409, 422)

    post()


API_BODIES = [
    ("/api/instances", "sys"),
    ("/api/messages", "sys"),
    ("/api/tasks/{review}/complete", "gt"),
    ("/api/tasks/{review}/claim", "gt"),
    ("/api/tasks/{review}/transfer", "gt"),
    ("/api/tasks/{review}/delegate", "gt"),
    ("/api/tasks/{review}/send-back", "gt"),
    ("/api/tasks/{review}/urge", "sc"),
    ("/api/instances/{instance}/copy", "sc"),
    ("/api/instances/{instance}/extend", "sc"),
    ("/api/instances/{instance}/reviewers", "sc"),
]


@pytest.mark.parametrize(("path", "user"), API_BODIES, ids=[p for p, _ in API_BODIES])
def test_api_json_input_never_answers_500(app, joint, path: str, user: str) -> None:
    client = app.test_client()
    url = path.format(review=joint["review"]["id"], instance=joint["review"]["instance_id"])

    @FUZZ
    @given(body=json_values)
    def post(body: Any) -> None:
        response = client.post(url, json=body, headers={"X-Actor": user})
        payload = response.get_json()
        assert response.status_code < 500, payload
        assert isinstance(payload, dict) and {"code", "message"} <= set(payload) or response.status_code < 300

    post()

    @FUZZ
    @given(raw=st.binary(max_size=200))
    def post_bytes(raw: bytes) -> None:
        response = client.post(url, data=raw, headers={"X-Actor": user, "Content-Type": "application/json"})
        assert response.status_code < 500, response.get_data(as_text=True)[:300]

    post_bytes()


# --- values that reach the database: real ids and keys, ids beyond an integer column, NUL characters ---------

odd_text = st.one_of(
    st.text(max_size=30),
    st.text(alphabet=st.sampled_from("\x00\r\n<>/.%'\"=+-@ab1"), max_size=12),
    st.sampled_from(["\x00", "a\x00b", "2026-000001\x00", "=HYPERLINK(1)", "../../etc/passwd", "H" * 300]),
)
odd_ints = st.one_of(
    st.integers(min_value=-(2**31) - 2, max_value=2**31 + 2),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from([0, -1, 2**31 - 1, 2**31, 2**63, 99999999999]),
)


@pytest.mark.parametrize("user", ["sys", "sc"])
def test_ids_and_keys_that_reach_the_database_never_answer_500(app, joint, user: str) -> None:
    """Lookups by id and receipt number, task filters and start bodies with real and odd values (PostgreSQL
    refuses a NUL and an int beyond its column in its own way: each must still be a 4xx)."""
    client = app.test_client()
    instance_id = joint["review"]["instance_id"]
    keys = st.one_of(st.sampled_from([joint["review"]["business_key"], "HALL-2025-1"]), odd_text)
    ids = st.one_of(st.just(instance_id), odd_ints)

    @FUZZ
    @given(
        instance=ids, key=keys, version=st.one_of(st.none(), odd_ints), title=st.one_of(st.none(), odd_text)
    )
    def probe(instance: int, key: str, version: int | None, title: str | None) -> None:
        quoted = urllib.parse.quote(key, safe="")
        answers = [
            client.get(f"/api/instances/{instance}", headers={"X-Actor": user}),
            client.get(f"/api/instances/by-key/{quoted}", headers={"X-Actor": user}),
            client.get(
                "/api/tasks", query_string={"business_key": key, "limit": instance}, headers={"X-Actor": user}
            ),
            client.get(f"/api/definitions/lianban_chaogao/xml?version={version}", headers={"X-Actor": user}),
            client.post(
                "/api/instances",
                json={
                    "key": "lianban_chaogao",
                    "version": version,
                    "business_key": key,
                    "title": title,
                    "data": {"applicant": title, "lead_window": "shichang"},
                },
                headers={"X-Actor": user},
            ),  # fmt: skip
        ]
        for response in answers:
            payload = response.get_json(silent=True)
            assert response.status_code < 500, (response.request.path, payload)
            assert (
                response.status_code < 400
                or isinstance(payload, dict)
                and {"code", "message"} <= set(payload)
            )

    probe()


def test_pages_with_odd_ids_and_keys_never_answer_500(signed_in, joint, make_user) -> None:
    """The workspace's and the console's pages naming an id or a receipt number, with real and odd values."""
    make_user("boss", ("centre", "admin"))
    admin = signed_in("boss")
    clerk = signed_in("sc")
    instance_id = joint["review"]["instance_id"]

    @FUZZ
    @given(
        number=st.one_of(st.just(instance_id), odd_ints),
        key=st.one_of(st.just(joint["review"]["business_key"]), odd_text),
    )
    def probe(number: int, key: str) -> None:
        quoted = urllib.parse.quote(key, safe="")
        answers = [
            admin.get(f"/admin/instance/{number}/"),
            admin.get("/admin/instance/", query_string={"q": key}),
            admin.get("/admin/instances/", query_string={"search": key}),
            admin.get("/admin/instances/details/", query_string={"id": number}),
            admin.get(f"/admin/definitions/lianban_chaogao/{number}/"),
            clerk.get(f"/attachments/{number}"),
            clerk.get(f"/items/{quoted}"),
            clerk.post(f"/notifications/{number}/read"),
            clerk.post(f"/warnings/{number}/reply", data={"reply": key}),
            clerk.post("/progress", data={"receipt": key, "phone_suffix": "1234"}),
        ]
        for response in answers:
            response.close()
            assert response.status_code < 500, (response.request.path, response.status_code)

    probe()

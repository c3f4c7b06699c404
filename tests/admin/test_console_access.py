"""The console's front door: strangers go to the login page, clerks get 403, overseers see the tiles."""

from __future__ import annotations


def test_stranger_is_sent_to_login(client) -> None:
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_clerk_is_refused(make_user, signed_in) -> None:
    make_user("clerk1", ("shichang", "clerk"))
    assert signed_in("clerk1").get("/admin/").status_code == 403


def test_supervisor_sees_front_page(make_user, signed_in) -> None:
    make_user("sup", ("supervision", "supervisor"))
    response = signed_in("sup").get("/admin/")
    assert response.status_code == 200
    assert "中心控制台" in response.get_data(as_text=True)


def test_vendor_serves_only_listed_packages(client) -> None:
    response = client.get("/vendor/bpmn-js/bpmn-viewer.production.min.js")
    assert response.status_code == 200
    response.close()
    assert client.get("/vendor/left-pad/index.js").status_code == 404
    assert client.get("/vendor/bpmn-js/../package.json").status_code == 404

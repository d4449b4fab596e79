"""The web over a unit tree: a central school's admin picks and sees the schools below, and no further."""

from __future__ import annotations

from tests.webharness import Browser, web_services


def test_a_central_schools_dashboard_picks_and_lists_the_schools_below(tmp_path, shared):
    services = web_services(tmp_path, shared)
    try:
        services.repository.link_units([("城关二小", "城关一小")])  # 城关一小 oversees 城关二小 here
        central, school = Browser(services), None
        central.sign_in("A001")
        page = central.page("/dashboard")
        assert "<option>城关二小</option>" in page
        assert page.count("<td class=\"lead\">城关二小</td>") == 1 and page.count("<td class=\"lead\">城关一小</td>") == 1  # each unit ranked
        assert "城关二小" in central.page("/dashboard?unit=城关二小").split("<h1>", 1)[1].split("</p>", 1)[0]
        school = Browser(services, central.app)
        school.sign_in("A002")
        assert "<select name=\"unit\">" not in school.page("/dashboard")  # nothing below it: no picker
        assert school.get("/dashboard?unit=城关一小").status_code == 403
    finally:
        services.close()

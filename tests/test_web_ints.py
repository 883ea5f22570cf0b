"""Integers out of range in URLs, query strings and forms answer 404/400, never 500;
the dialogue sessions list renders for every role when the school has a session."""
from __future__ import annotations

import datetime as dt

import pytest
from werkzeug.routing import IntegerConverter

from conftest import csrf_token, login
from security_site import view_rules

HUGE = "123456789012345678901234"


@pytest.mark.parametrize("number", [HUGE, str(2**40)])
@pytest.mark.parametrize("username", ["dept_admin", "counsellor", "viewer"])
def test_a_24_digit_id_in_any_url_is_not_found(app, world, client, username, number):
    """24 digits overflow every integer type: 404 before any lookup. 2**40 fits the random keys'
    BIGINT (looked up) but not the INTEGER ids of other tables (404): never a 500."""
    login(client, username)
    token = csrf_token(client)
    failures = []
    for rule in view_rules(app):
        ints = [n for n in rule.arguments if isinstance(rule._converters[n], IntegerConverter)]
        if not ints:
            continue
        url = rule.rule
        for name in rule.arguments:
            url = url.replace(f"<int:{name}>", number).replace(f"<key:{name}>", number).replace(f"<{name}>", "x").replace(f"<path:{name}>", "x")
        for method in ("GET", "POST") if "POST" in rule.methods else ("GET",):
            answer = client.get(url) if method == "GET" else client.post(url, data={"csrf_token": token})
            refused = answer.status_code in (404, 405) if number == HUGE else answer.status_code < 500
            if not refused:
                failures.append(f"{method} {url}: {answer.status_code}")
    assert not failures, failures


@pytest.mark.parametrize("url", ["/reports/campaign/{id}?org=" + HUGE, "/reports/?campaign=" + HUGE,
                                 "/reports/campaign/{id}?org=1&compare=" + HUGE])
def test_a_24_digit_query_integer_is_a_bad_request(app, world, client, url):
    from school_dialogue_helpers import open_campaign
    campaign = open_campaign(world)
    login(client, "dept_admin")
    assert client.get(url.format(id=campaign.id)).status_code == 400


def test_a_24_digit_form_integer_is_a_bad_request(app, world, client):
    login(client, "dept_admin")
    answer = client.post(f"/admin/users/{world.users['viewer'].id}",
                         data={"csrf_token": csrf_token(client), "action": "remove", "assignment": HUGE})
    assert answer.status_code == 400


@pytest.mark.parametrize("username", ["school_admin", "ward_admin", "viewer"])
def test_the_dialogue_sessions_list_renders_with_a_session(app, world, client, username):
    from plugins.school_dialogue import sessions as dialogue
    dialogue.create_session(world.school_a, held_on=dt.date.today(), title="Đối thoại học kỳ I",
                            participants={"6": 30}, issues=[{"source": "floor", "text": "Nhà vệ sinh"}])
    from surveyapp.extensions import db
    db.session.commit()
    login(client, username)
    answer = client.get(f"/school_dialogue/schools/{world.school_a.id}/sessions")
    assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
    assert "Đối thoại học kỳ I" in answer.get_data(as_text=True)

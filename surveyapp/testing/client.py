"""Drive the pages like a browser would: forms with their CSRF token, redirects followed by hand."""
from __future__ import annotations

import re

from .world import PASSWORD


def csrf_token(client) -> str:
    page = client.get("/s").get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "no CSRF token on /s"
    return match.group(1)


def login(client, username: str, password: str = PASSWORD):
    token = csrf_token(client)
    response = client.post("/login", data={"csrf_token": token, "username": username, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


def post(client, url: str, data: dict | None = None, **kwargs):
    """POST a form with a valid CSRF token, as a browser would."""
    data = dict(data or {})
    data.setdefault("csrf_token", csrf_token(client))
    return client.post(url, data=data, **kwargs)


def page_items(html: str) -> list[str]:
    names = re.findall(r'name="([a-z][a-z0-9_]*)"', html)
    return [n for n in dict.fromkeys(names) if n not in ("csrf_token", "action", "token", "code")]


def start(client, code: str, token: str | None = None):
    data = {"csrf_token": csrf_token(client)}
    if token is not None:
        data["token"] = token
    return client.post(f"/s/{code}", data=data)


def answer_all(client, code: str, answers: dict, token: str | None = None, max_pages: int = 30):
    """Answer every page from ``answers`` (item id -> value or list); return the final response."""
    response = start(client, code, token)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    location = response.headers["Location"]
    for _ in range(max_pages):
        page = client.get(location)
        html = page.get_data(as_text=True)
        assert page.status_code == 200, html[:500]
        data = {"csrf_token": csrf_token(client)}
        for item_id in page_items(html):
            if item_id in answers and answers[item_id] is not None:
                data[item_id] = answers[item_id]
        is_last = 'value="submit"' in html
        data["action"] = "submit" if is_last else "next"
        response = client.post(location, data=data)
        assert response.status_code == 302, response.get_data(as_text=True)[:1500]
        location = response.headers["Location"]
        if is_last:
            return response
    raise AssertionError("survey did not end")

"""Stored XSS and spreadsheet formula injection.

XSS: every POST form found on every page is filled with ``<script>`` in each free
text field and sent; students type it into every text question; then every page
is read back by every role and must show it escaped, never raw. Forms added by
plugins are found and attacked the same way, with no change here.

Formulas: what people type (names, answers) must come out of every workbook as text.
"""
from __future__ import annotations

import html as html_lib
import io
import itertools
from html.parser import HTMLParser

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from conftest import csrf_token, login
from respondent_helpers import answer_all
from security_site import is_public, view_rules
from surveyapp import get_registry
from surveyapp.campaigns import create_campaign, set_status
from surveyapp.export import ExportOptions, build_workbook
from surveyapp.extensions import db
from surveyapp.models import AccessCode, Campaign, OrgUnit, User
from surveyapp.questionnaire.schema import TEXT_TYPES

PAYLOAD = "<script>alert(1)</script>"
ESCAPED = html_lib.escape(PAYLOAD, quote=False)
# Inputs whose format is checked: a plausible value lets the rest of the form through.
SHAPED = {"username": "xss_user", "code": "XSS1", "password": "long-enough-password", "levels": "thcs",
          "email": "x@example.org", "grades": "", "opens_on": "", "closes_on": "", "token": ""}
SKIP_ACTIONS = ("/logout", "/login", "/lang/")


class FormParser(HTMLParser):
    """The POST forms of a page: action and the fields a browser would send."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._select = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "get").lower() == "post":
            self.forms.append({"action": a.get("action"), "fields": {}, "files": [], "text": False})
        if not self.forms:
            return
        fields = self.forms[-1]["fields"]
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            if kind == "file":
                self.forms[-1]["files"].append(name)
            elif kind in ("checkbox", "radio"):
                fields.setdefault(name, a.get("value", "y"))
            elif kind in ("hidden", "submit"):
                fields.setdefault(name, a.get("value", ""))
            else:
                fields[name] = SHAPED.get(name.split("-")[-1], "3" if kind == "number" else PAYLOAD + name)
                self.forms[-1]["text"] = self.forms[-1]["text"] or kind not in ("number", "date", "password")
        elif tag == "textarea" and name:
            fields[name] = PAYLOAD + name
            self.forms[-1]["text"] = True
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and a.get("value"):
            fields.setdefault(self._select, a["value"])
        elif tag == "button" and name and name not in fields and a.get("value") != "back":
            fields[name] = a.get("value", "")

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def post_forms(pages: dict[str, str]) -> list[tuple[str, dict, list]]:
    """Forms with something to type or a file to send (buttons-only forms delete or switch things)."""
    found = []
    for url, text in pages.items():
        parser = FormParser()
        parser.feed(text)
        for form in parser.forms:
            action = form["action"] or url
            if not action.startswith(SKIP_ACTIONS) and (form["text"] or form["files"]):
                found.append((action, form["fields"], form["files"]))
    return found


def object_values(name: str) -> list:
    """Every object for a URL parameter (this test looks at everything, as its owner would)."""
    columns = {"campaign_id": Campaign.id, "unit_id": OrgUnit.id, "org_id": OrgUnit.id, "school_id": OrgUnit.id,
               "user_id": User.id, "code_id": AccessCode.id, "code": AccessCode.code}
    if name == "number":
        return [1, 2]
    column = columns.get(name)
    return list(db.session.execute(select(column)).scalars())[:4] if column is not None else []


def crawl(app, client, public_too: bool = False) -> dict[str, str]:
    pages = {}
    for rule in view_rules(app):
        if "GET" not in rule.methods or (is_public(app, rule) and not public_too):
            continue
        names = sorted(rule.arguments)
        choices = [object_values(n) for n in names]
        if any(not c for c in choices):
            continue
        with app.test_request_context():
            urls = [rule.build(dict(zip(names, combo)), append_unknown=False)[1]
                    for combo in itertools.product(*choices)]
        for url in urls:
            response = client.get(url, follow_redirects=True)
            if "text/html" in response.headers.get("Content-Type", ""):
                pages[url] = response.get_data(as_text=True)
    return pages


class WithDefault(dict):
    """Answers by item id; questions not in the questionnaire (a school's own) get the first option."""

    def __contains__(self, key) -> bool:
        return True

    def __missing__(self, key):
        return "1"


def payload_answers(definition) -> dict:
    answers = WithDefault()
    for item_id, info in definition.items.items():
        if info.item.type in TEXT_TYPES:
            answers[item_id] = PAYLOAD + item_id
        elif info.item.type == "number":
            answers[item_id] = str(max(definition.value_range(item_id)[0], 0))
        elif info.options:
            answers[item_id] = [str(info.options[0].value)] if info.item.type == "multi_choice" \
                else str(info.options[0].value)
    return answers


@pytest.fixture
def attacked(app, world):
    """Every form a department admin can reach, sent once with the payload in its free text."""
    app.config.update(MIN_GROUP_SIZE=1, MIN_GROUP_SIZE_TEXT=1)
    registry = get_registry()
    for module in registry.modules.values():
        definition = registry.questionnaires[module.default_questionnaire]
        campaign = create_campaign(name=PAYLOAD + module.id, definition=definition, owner=world.dept,
                                   scope=[world.school_a], user_id=None)
        set_status(campaign, "open")
    world.class_a6.name = PAYLOAD + "class"
    world.school_a.contact = {"counsellor": PAYLOAD + "counsellor", "phone": "0225 111"}
    db.session.commit()
    client = app.test_client()
    login(client, "dept_admin")
    sent = 0
    for action, fields, files in post_forms(crawl(app, client)):
        data = {**fields, "csrf_token": csrf_token(client)}
        for name in files:
            csv = f"code,name,kind,parent_code,levels,counsellor\nXSSIMP,{PAYLOAD}import,school,P01,thcs,{PAYLOAD}c\n"
            data[name] = (io.BytesIO(csv.encode()), "units.csv")
        response = client.post(action, data=data, content_type="multipart/form-data")
        assert response.status_code < 500, f"{action}: {response.status_code}"
        assert PAYLOAD not in response.get_data(as_text=True), f"the answer to POST {action} echoes it raw"
        sent += 1
    assert sent >= 5, "too few forms found: the crawl is broken"
    for campaign in db.session.execute(select(Campaign)).scalars():
        if campaign.status == "open" and get_registry().questionnaires.get(campaign.qversion.qid):
            _answer_as_student(app, campaign)
    return client


def _answer_as_student(app, campaign):
    definition = get_registry().questionnaires[campaign.qversion.qid]
    if definition.model.respondent != "student":
        return
    code = db.session.execute(select(AccessCode.code).filter_by(campaign_id=campaign.id, active=True)).scalars().first()
    if code:
        answer_all(app.test_client(), code, payload_answers(definition))


def test_script_typed_anywhere_is_escaped_on_every_page(app, world, attacked):
    for username in ("dept_admin", "school_admin", "counsellor", "viewer"):
        client = app.test_client()
        login(client, username)
        pages = crawl(app, client)
        for code in object_values("code"):
            for url in (f"/s/{code}", f"/s/{code}/done"):
                pages[url] = app.test_client().get(url).get_data(as_text=True)
        raw = [url for url, text in pages.items() if PAYLOAD in text]
        assert not raw, f"{username} sees a raw <script> on: {raw}"
        if username == "dept_admin":
            reached = " ".join(pages.values())
            for where in ("class", "counsellor", "unit-name", "user-full_name", "name"):
                assert ESCAPED + where in reached, f"the payload typed into {where} shows nowhere: test is blind"


FORMULAS = ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "-1+1", "@SUM(1)", "=1+1"]


def _formula_site(world):
    registry = get_registry()
    world.school_a.name, world.ward.name = FORMULAS[0], FORMULAS[1]
    world.class_a6.name = FORMULAS[3]
    campaigns = []
    for module in registry.modules.values():
        definition = registry.questionnaires[module.default_questionnaire]
        campaign = create_campaign(name=FORMULAS[2] + module.id, definition=definition, owner=world.dept,
                                   scope=[world.dept], user_id=None)
        set_status(campaign, "open")
        campaigns.append(campaign)
    db.session.commit()
    return campaigns


def _typed_answers(definition, text: str) -> dict:
    answers = payload_answers(definition)
    return {k: (text if isinstance(v, str) and v.startswith(PAYLOAD) else v) for k, v in answers.items()}


def test_formulas_typed_as_names_and_answers_come_out_of_every_workbook_as_text(app, world, tmp_path):
    app.config.update(MIN_GROUP_SIZE=1, MIN_GROUP_SIZE_TEXT=1)
    campaigns = _formula_site(world)
    for campaign in campaigns:
        definition = get_registry().questionnaires[campaign.qversion.qid]
        code = db.session.execute(select(AccessCode.code).filter_by(campaign_id=campaign.id,
                                                                    class_group_id=world.class_a6.id)).scalar()
        if definition.model.respondent == "student" and code:
            for formula in FORMULAS:
                answer_all(app.test_client(), code, _typed_answers(definition, formula))
    seen: set[str] = set()
    variants = ((world.dept, True, True), (world.school_a, True, False), (world.school_a, False, False))
    for campaign, (org, raw, wide) in itertools.product(campaigns, variants):
        path = tmp_path / f"c{campaign.id}-{org.id}-{raw}-{wide}.xlsx"
        with app.test_request_context():
            build_workbook(campaign, org, path, ExportOptions(include_raw=raw, department_wide=wide))
        seen |= _check_workbook(path)
    assert {FORMULAS[0], FORMULAS[1], FORMULAS[3]} <= seen, f"names never reached a workbook: {seen}"
    assert any(s.startswith(FORMULAS[2]) for s in seen), "the campaign name never reached a workbook"


def _check_workbook(path) -> set[str]:
    """Fail on any formula cell carrying typed text; return the typed strings found as text."""
    seen = set()
    book = load_workbook(path)
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                value = cell.value
                if cell.data_type == "f":
                    assert not any(token in str(value) for token in ("HYPERLINK", "cmd", "SUM(1)", "-1+1", "1+1")), \
                        f"{path.name}!{sheet.title}!{cell.coordinate} became a formula: {value}"
                elif isinstance(value, str):
                    seen |= {f for f in FORMULAS if value.startswith(f)}
    return seen

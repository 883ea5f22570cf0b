"""Anonymity attacks from outside and from the database: code oracles, staff forms, order, links."""
from __future__ import annotations

import hashlib
import json

from sqlalchemy import inspect, insert, select

from conftest import csrf_token
from campaign_helpers import code_for, open_campaign
from mental_health_helpers import PHQ9_RISK, open_campaign as open_mh
from respondent_helpers import answer_all
from surveyapp.extensions import db
from surveyapp.models import AccessCode, OneTimeToken, Response, StaffAuthorship
from surveyapp.respondent import issue_tokens

PHQ8 = {f"q{i}": "1" for i in range(1, 9)}


def test_the_old_done_address_answers_the_same_for_any_code(client, world):
    campaign = open_campaign(world, "mental_health.phq8")
    real = client.get(f"/s/{code_for(campaign, world.class_a6)}/done")
    fake = client.get("/s/ACDEFH/done")
    assert (real.status_code, real.headers["Location"]) == (fake.status_code, fake.headers["Location"]) \
        == (302, "/s/done")
    assert client.get("/s/done").get_data(as_text=True).count("ACDEFH") == 0


def test_the_help_page_reads_no_code(client, world):
    campaign = open_campaign(world, "mental_health.phq8")
    real = client.get(f"/mental-health/help/A?c={code_for(campaign, world.class_a6)}").get_data(as_text=True)
    fake = client.get("/mental-health/help/A?c=ACDEFH").get_data(as_text=True)
    strip = lambda html: html.replace(code_for(campaign, world.class_a6), "").replace("ACDEFH", "")  # noqa: E731
    assert strip(real) == strip(fake)


def test_every_code_lookup_page_counts_toward_one_limit(client, world):
    """Wrong codes on the consent page and the start page share the device's ten guesses."""
    statuses = [client.get(f"/mental-health/s/AAAAC{i}/consent").status_code for i in range(6)]
    statuses += [client.get(f"/s/AAAAD{i}").status_code for i in range(6)]
    assert statuses[:6] == [404] * 6 and statuses[-1] == 429 and 429 not in statuses[:10]


def test_a_staff_form_has_no_access_codes_and_the_student_pages_refuse_it(client, world):
    campaign = open_campaign(world, "safe_school.tt18_2023")
    assert db.session.execute(select(AccessCode).filter_by(campaign_id=campaign.id)).first() is None
    # a code made before staff forms had none opens nothing either
    db.session.add(AccessCode(code="QQQQQQ", campaign_id=campaign.id, school_id=world.school_a.id))
    db.session.commit()
    assert client.get("/s/QQQQQQ").status_code == 404
    assert client.post("/s/QQQQQQ", data={"csrf_token": csrf_token(client)}).status_code == 404


def test_the_anonymous_table_has_no_column_that_can_hold_an_identity_or_an_order(world):
    columns = {c["name"]: c for c in inspect(db.engine).get_columns("response")}
    assert not {"user_id", "submission_key", "created_at", "ip", "user_agent", "token", "device"} & set(columns)
    foreign = {fk["referred_table"] for fk in inspect(db.engine).get_foreign_keys("response")}
    assert "user_account" not in foreign
    assert {c["name"] for c in inspect(db.engine).get_columns("staff_authorship")} == {"response_id", "user_id"}


def test_staff_form_authorship_is_kept_apart(client, world):
    from plugins.safe_school import assessment as safe
    campaign = open_campaign(world, "safe_school.tt18_2023")
    assessment = safe.start(campaign, world.school_a, world.users["school_admin"].id)
    db.session.commit()
    authorship = db.session.get(StaffAuthorship, assessment.response_id)
    assert authorship.user_id == world.users["school_admin"].id


def test_response_ids_are_random_keys_not_an_arrival_order(client, world):
    campaign = open_campaign(world, "mental_health.phq8")
    code = code_for(campaign, world.class_a6)
    for _ in range(5):
        answer_all(client.application.test_client(), code, PHQ8)
    ids = list(db.session.execute(select(Response.id)).scalars())
    assert len(ids) == 5 and all(0 < i < 2 ** 63 for i in ids) and max(ids) > 2 ** 40
    assert max(ids) - min(ids) > 1000  # not a run of consecutive numbers


def test_bulk_rows_get_random_keys_too(world):
    campaign = open_campaign(world, "mental_health.phq8")
    db.session.execute(insert(Response), [{"campaign_id": campaign.id, "qversion_id": campaign.qversion_id,
                                           "school_id": world.school_a.id, "status": 1} for _ in range(3)])
    ids = sorted(db.session.execute(select(Response.id)).scalars())
    assert ids[1] - ids[0] != 1 and ids[2] - ids[1] != 1


def test_slip_hashes_are_keyed_with_the_server_secret(world):
    campaign = open_campaign(world, "mental_health.phq8", settings={"tokens": True})
    access = db.session.execute(select(AccessCode).filter_by(campaign_id=campaign.id)).scalars().first()
    token = issue_tokens(access, 1)[0]
    stored = db.session.execute(select(OneTimeToken.token_hash)).scalar_one()
    for guess in (f"{access.id}:{token}", token, f"{access.code}:{token}"):
        assert hashlib.sha256(guess.encode()).hexdigest() != stored


def test_risk_help_page_leaves_only_the_neutral_address(client, world):
    campaign = open_mh(world, "mental_health.phq9")
    code = code_for(campaign, world.class_a6)
    final = answer_all(client, code, PHQ9_RISK)
    assert final.headers["Location"] == "/s/done"
    html = client.get("/s/done").get_data(as_text=True)
    assert code not in html and "/mental-health/help" not in html


def test_one_response_per_device_by_default(client, world):
    campaign = open_campaign(world, "mental_health.phq8")
    code = code_for(campaign, world.class_a6)
    answer_all(client, code, PHQ8)
    assert client.get(f"/s/{code}").headers["Location"] == "/s/done"  # just sent: the same page as then
    client.get("/s/leave")
    again = client.get(f"/s/{code}")
    html = again.get_data(as_text=True)
    assert again.status_code == 200 and "Đã gửi" in html and 'type="submit"' not in html
    assert client.post(f"/s/{code}", data={"csrf_token": csrf_token(client)}).status_code == 200
    assert len(db.session.execute(select(Response.id)).all()) == 1
    cookie = client.get_cookie("session", domain="surveyapp.test").value
    # what anyone holding the phone can read: the cookie's payload is signed, not encrypted (its random
    # signature may spell "q1" by chance: the raw cookie text once did)
    readable = json.dumps(client.application.session_interface.get_signing_serializer(client.application)
                          .loads(cookie))
    assert "PHQ" not in readable and "q1" not in readable  # the marker holds campaign ids, no answers


def test_shared_computers_may_send_again_and_the_school_sees_classes_over_size(client, world):
    from conftest import login
    campaign = open_campaign(world, "mental_health.phq8", settings={"shared_devices": True})
    code = code_for(campaign, world.class_a7)            # class 7A has 4 students
    for _ in range(5):
        answer_all(client, code, PHQ8)
    assert len(db.session.execute(select(Response.id)).all()) == 5
    admin = client.application.test_client()
    login(admin, "school_admin")
    page = admin.get(f"/campaigns/{campaign.id}/schools/{world.school_a.id}").get_data(as_text=True)
    assert page.count("data-over-size") == 1


def test_continue_reopens_the_page_the_student_was_on(client, world):
    from respondent_helpers import start as start_answering
    campaign = open_campaign(world, "mental_health.phq_a")
    code = code_for(campaign, world.class_a6)
    page1 = start_answering(client, code).headers["Location"]
    sent = client.post(page1, data={"csrf_token": csrf_token(client), "action": "next",
                                    **{f"q{i}": "0" for i in range(1, 10)}})
    assert sent.headers["Location"].endswith("/p/2")
    resumed = client.post(f"/s/{code}", data={"csrf_token": csrf_token(client)})
    assert resumed.headers["Location"].endswith("/p/2")


def test_the_sign_in_prompt_is_in_vietnamese(client, world):
    page = client.get("/campaigns/", follow_redirects=True).get_data(as_text=True)
    assert "Please log in" not in page and "Vui lòng đăng nhập để xem trang này." in page


def test_drafts_go_when_the_campaign_closes_and_after_a_fixed_age(client, world, run_cli):
    import datetime as dt

    from surveyapp import traces
    from surveyapp.campaigns import set_status
    from surveyapp.models import RespondentDraft, SentMark
    from respondent_helpers import start as start_answering
    closing = open_campaign(world, "mental_health.phq8", name="closing")
    lasting = open_campaign(world, "mental_health.gad7", name="lasting")
    start_answering(client, code_for(closing, world.class_a6))
    start_answering(client, code_for(lasting, world.class_a6))
    answer_all(client.application.test_client(), code_for(lasting, world.class_a7), {f"q{i}": "1" for i in range(1, 8)})
    assert len(db.session.execute(select(RespondentDraft)).all()) == 2
    set_status(closing, "closed")
    db.session.commit()
    assert len(db.session.execute(select(RespondentDraft)).all()) == 1
    assert traces.purge().drafts == 0                                   # the other is young
    later = dt.date.today() + dt.timedelta(days=traces.DRAFT_DAYS + 2)
    purged = traces.purge(later)
    assert (purged.drafts, purged.marks) == (1, 2)                      # and the send marks expired
    assert db.session.execute(select(RespondentDraft)).first() is None
    assert db.session.execute(select(SentMark)).first() is None
    result = run_cli(["purge-anonymous"])
    assert result.exit_code == 0 and "drafts" in result.output


def test_an_anonymous_request_keeps_and_shows_the_date_only(client, world):
    import datetime as dt
    import re as regex

    from conftest import login, post
    from surveyapp.models import AuditEntry
    from plugins.mental_health.models import Alert, Case
    sent = post(client, "/mental-health/ask/A", {"anonymous": "yes", "topic": "safety", "urgency": "urgent",
                                                "message": "Em bị bắt nạt."})
    assert sent.headers["Location"] == "/s/done"
    case = db.session.execute(select(Case)).scalar_one()
    alert = db.session.execute(select(Alert)).scalar_one()
    stamps = [case.created_at, alert.raised_at,
              *db.session.execute(select(AuditEntry.at).where(AuditEntry.action.like("mental_health.%"))).scalars()]
    assert all(stamp.time() == dt.time() for stamp in stamps), stamps
    assert case.id > 2 ** 32 or alert.id > 2 ** 32            # random keys, not a count of requests
    counsellor = client.application.test_client()
    login(counsellor, "counsellor")
    queue = counsellor.get("/mental-health/queue").get_data(as_text=True)
    assert dt.date.today().isoformat() in queue and not regex.search(r"\d\d:\d\d", queue.split("<main", 1)[1])

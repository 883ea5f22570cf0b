"""Respondent kinds as data: a parents' survey speaks to adults and shows adult lines as well as
111; students' pages say what they always said; an unknown kind is a file:line: field error."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from markupsafe import Markup, escape

from campaign_helpers import code_for, open_campaign
from conftest import make_app
from surveyapp.testing.app import close_app
from respondent_helpers import answer_all
from surveyapp import respondent_kinds
from surveyapp.cli import cli
from surveyapp.hookspecs import hookimpl
from surveyapp.modules import AssessmentModule
from surveyapp.questionnaire import QuestionnaireError
from surveyapp.reports import group_threshold, min_group_size

HERE = Path(__file__).parent / "respondent_kinds"
PLUGINS = Path(__file__).resolve().parents[1] / "plugins"
PHQ8 = {f"q{i}": "1" for i in range(1, 9)}


class FamilyVoice:
    """A module of its own with one parents' questionnaire, adding one block to the help page."""

    @hookimpl
    def register_assessment_modules(self):
        return [AssessmentModule(id="family_voice", name={"vi": "Tiếng nói gia đình", "en": "Family voice"},
                                 default_questionnaire="family_voice.parents")]

    @hookimpl
    def register_questionnaires(self):
        return [HERE / "family_voice.yaml"]

    @hookimpl
    def respondent_help(self, campaign, school):
        if campaign is None or campaign.module != "family_voice":
            return []
        return [Markup('<p id="family-extra">Hội cha mẹ học sinh: 0225 999 888</p>')]


@pytest.fixture
def app(tmp_path, postgres_url):
    app = make_app(tmp_path, postgres_url, extra_plugins=[FamilyVoice()])
    yield app
    close_app(app)


@pytest.fixture
def parents(world):
    return open_campaign(world, "family_voice.parents", name="Parents")


def child_words(html: str) -> list[str]:
    """What speaks to a child: a student text of the data file, or Vietnamese 'em' (you, child)
    other than in 'trẻ em' (children, as in the hotline's name)."""
    student = respondent_kinds.kind_of("student").wording
    texts = [student.anonymous_detail, student.thanks, student.help_title, student.help_intro,
             student.contacts_title, student.school_default, student.unavailable, *student.steps]
    shown = [str(escape(text.replace("{n}", str(min_group_size())))) for t in texts for text in (t.vi, t.en)]
    found = [text for text in shown if text in html]
    visible = re.sub(r"<[^>]+>", " ", html.split("<main", 1)[-1])
    found += [m.group(0) for m in re.finditer(r"(?<!trẻ )\b[Ee]m\b", visible)]
    return found


def english(client):
    client.get("/lang/en")
    return client


# -- a parents' survey -------------------------------------------------------------------------

def test_a_parents_start_page_speaks_to_adults(client, parents, world):
    code = code_for(parents, world.class_a6)
    page = client.get(f"/s/{code}").get_data(as_text=True)
    assert "Chúng tôi không hỏi tên của Quý phụ huynh hay tên của con" in page
    assert f"từ {min_group_size()} phụ huynh trở lên" in page
    assert child_words(page) == []
    page = english(client).get(f"/s/{code}").get_data(as_text=True)
    assert "We do not ask your name or your child" in page and "at least 5 parents" in page
    assert child_words(page) == []


def test_a_worried_parent_gets_adult_help_with_111_and_adult_lines(client, parents, world):
    done = answer_all(client, code_for(parents, world.class_a6), {"safe": "2", "worried": "2"})
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Quý phụ huynh không đơn độc" in page
    assert 'href="tel:111"' in page and "bảo vệ trẻ em" in page  # 111 as well
    assert 'href="tel:0963061414"' in page and "Ngày Mai" in page  # an adult support line
    assert 'href="tel:115"' in page and 'href="tel:113"' in page
    assert "Nhà trường sẵn sàng lắng nghe Quý phụ huynh." in page  # the questionnaire's own help
    assert 'id="family-extra"' in page  # the module's block, beside the core's lines
    assert "Cô Lan" in page and "Tại nhà trường:" in page  # the school's counsellor on record
    assert child_words(page) == []
    page = english(client).get("/s/done").get_data(as_text=True)
    assert "Support is available, right now." in page and "Ngày Mai" in page and 'href="tel:111"' in page
    assert child_words(page) == []


def test_a_parents_thank_you_and_not_available_pages_speak_to_adults(client, parents, world):
    code = code_for(parents, world.class_a6)
    done = answer_all(client, code, {"safe": "2", "worried": "1"})
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Xin cảm ơn Quý phụ huynh! Câu trả lời đã được gửi." in page and 'href="tel:0963061414"' in page
    assert child_words(page) == []
    other = client.application.test_client()
    parents.module = "uninstalled_module"
    from surveyapp.extensions import db
    db.session.commit()
    closed = other.get(f"/s/{code}")
    assert closed.status_code == 503
    assert "Xin Quý phụ huynh báo cho nhà trường" in closed.get_data(as_text=True)
    assert child_words(closed.get_data(as_text=True)) == []


def test_parents_answer_through_codes_and_their_small_groups_are_hidden(parents):
    from surveyapp.campaigns import definition_of, takes_students
    assert takes_students(parents)
    assert group_threshold(definition_of(parents)) == min_group_size()


# -- students: unchanged -------------------------------------------------------------------------

def test_student_pages_say_what_they_always_said(client, world):
    campaign = open_campaign(world, "mental_health.phq8", name="Screening")
    code = code_for(campaign, world.class_a6)
    page = client.get(f"/s/{code}").get_data(as_text=True)
    assert ("Chúng tôi không hỏi tên em và không ghi lại tài khoản, thiết bị, địa chỉ internet hay thời điểm em "
            "trả lời. Nhà trường chỉ xem được kết quả của những nhóm có từ 5 học sinh trở lên.") in page
    done = answer_all(client, code, PHQ8)
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Cảm ơn em! Câu trả lời của em đã được gửi." in page
    assert "Em hãy gọi Tổng đài điện thoại quốc gia bảo vệ trẻ em, miễn phí, 24 giờ mỗi ngày:" in page
    assert 'href="tel:111"' in page and "Ngày Mai" not in page and "Quý phụ huynh" not in page
    assert child_words(page)  # what the parents' pages are checked against is really there


def test_student_help_page_keeps_its_words(client, world):
    from school_dialogue_helpers import calm_answers, open_campaign as open_dialogue
    campaign = open_dialogue(world)
    answers = {**calm_answers(), "bully_physical": "2", "reported": "0"}
    done = answer_all(client, code_for(campaign, world.class_a6), answers)
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Em không một mình. Luôn có người sẵn sàng giúp em, ngay bây giờ." in page
    assert "Gọi 111. Cuộc gọi miễn phí, có người nghe máy cả ngày lẫn đêm, và em có thể nói về bất cứ chuyện gì." in page
    assert "Tại trường của em:" in page and "Cô Lan" in page
    assert "Ngày Mai" not in page and "Quý phụ huynh" not in page
    page = english(client).get("/s/done").get_data(as_text=True)
    assert "You are not alone. Help is here, right now." in page
    assert "If you are in danger now, call 115 or go straight to an adult near you" in page


def test_the_modules_own_help_pages_show_the_cores_student_lines(client, world):
    """One list of numbers: the mental-health help page and the suggestion box's help after a
    disclosure read the student kind's contacts."""
    from conftest import csrf_token
    box = client.post("/school_dialogue/box/A", data={"csrf_token": csrf_token(client),
                                                      "body": "em muon chet, khong ai giup em"})
    for page in (client.get("/mental-health/help/A").get_data(as_text=True), box.get_data(as_text=True)):
        for line in respondent_kinds.contact_lines("student", "vi"):
            assert f'href="tel:{line.number}"' in page and (line.primary or line.name in page)
    assert {line.number for line in respondent_kinds.contact_lines("student", "vi")} == {"111", "115", "113"}


# -- the data are checked ---------------------------------------------------------------------------

def test_an_unknown_kind_is_a_file_line_field_error_from_validate(tmp_path):
    source = (PLUGINS / "school_dialogue" / "questionnaires" / "dialogue.yaml").read_text(encoding="utf-8")
    line = source.splitlines().index("respondent: student") + 1
    path = tmp_path / "dialogue.yaml"
    path.write_text(source.replace("respondent: student", "respondent: guardian"), encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 1
    assert (f"{path}:{line}: respondent: unknown respondent kind 'guardian' (known: parent, staff, student)"
            in result.output)
    path.write_text(source.replace("respondent: student", "respondent: parent"), encoding="utf-8")
    assert CliRunner().invoke(cli, ["validate", str(path)]).exit_code == 0


def test_the_kinds_file_is_checked_with_file_and_line(tmp_path):
    text = respondent_kinds.KINDS_FILE.read_text(encoding="utf-8")
    broken = tmp_path / "kinds.yaml"
    broken.write_text(text.replace("    answers_with: sign_in", "    answers_by: sign_in"), encoding="utf-8")
    with pytest.raises(QuestionnaireError) as info:
        respondent_kinds.load(broken)
    line = text.splitlines().index("    answers_with: sign_in          # a school's own assessment, filled in by "
                                   "signed-in staff") + 1
    assert f"{broken}:{line}: kinds.staff.answers_by: unknown field (misspelt?)" in str(info.value)
    no_primary = tmp_path / "no_primary.yaml"
    no_primary.write_text(text.replace("        primary: true\n", ""), encoding="utf-8")
    assert "kinds.student.contacts: needs at least one primary contact" in str(
        pytest.raises(QuestionnaireError, respondent_kinds.load, no_primary).value)


def test_every_kind_offers_111_and_unverified_lines_are_marked():
    for name, kind in respondent_kinds.kinds().items():
        assert any(c.number == "111" and c.primary for c in kind.contacts), name
    parent_lines = {c.number: c for c in respondent_kinds.kind_of("parent").contacts}
    assert parent_lines["096 306 1414"].verified is False  # hours as of 2022 (reference: re-check)

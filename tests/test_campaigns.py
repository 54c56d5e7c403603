"""Campaigns (专题考试活动): rounds and their makeups reported as one unit, in the bureau's words.

The campaign built here, worked out by hand (enterprises 甲, 乙, 丙; each has a principal leader
and a safety director; 甲 also a safety manager, whom no round is for):

- 第一期 (10 March, leaders and directors): 甲一 passes, 甲二 fails, 乙一 passes, 乙二 never
  comes, 丙一 fails, 丙二 passes.
- its makeup (April, for 甲二, 乙二, 丙一): 甲二 passes, 丙一 fails again, 乙二 stays away.
- 第二期 (September, for 乙二 and 丙一): both pass. 乙二 passed the first round they sat in
  person, so passed first time; 丙一 did not.

=> 3 enterprises and 6 people expected and sat; passed first time 4 (甲一, 乙一, 乙二, 丙二) of
   the 6 who sat a round in person (66.7 %); passed finally 6 of 6 (100 %); the safety
   manager is in no figure.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from reports_data import NOW, beijing, enterprise, exam, keep_report_rows, person, sit
from test_report_pdf import _pages, _text

from exam.auth.models import UserRole
from exam.campaigns.models import Campaign, CampaignExam
from exam.core.extensions import db
from exam.exams import news
from exam.exams.models import Exam
from exam.people.models import PersonRole, Town
from exam.reports.queries.campaigns import (
    CampaignFigures,
    CampaignRow,
    Measure,
    campaign_figures,
    campaign_people,
)
from exam.reports.queries.rates import percent_text, rate
from exam.reports.render.campaigns import campaign_sentence

LEADER, DIRECTOR, MANAGER = (
    PersonRole.PRINCIPAL_LEADER,
    PersonRole.SAFETY_DIRECTOR,
    PersonRole.SAFETY_MANAGER,
)
NAME = "安全生产“八抓”20项系列创新举措专题考试"


def _campaign(*, second_round_open: bool = False):
    """The campaign above; with ``second_round_open`` 第二期 is open at NOW, and only 丙一 has
    sat it so far."""
    town = Town(name="城关街道")
    db.session.add(town)
    a = enterprise("甲化工有限公司", town, "hazardous_chemicals")
    b = enterprise("乙冶炼有限公司", town, "metal_smelting")
    c = enterprise("丙商贸有限公司", town, "industry_trade")
    p = {
        "a1": person("甲一", LEADER, a),
        "a2": person("甲二", DIRECTOR, a),
        "a3": person("甲三", MANAGER, a),
        "b1": person("乙一", LEADER, b),
        "b2": person("乙二", DIRECTOR, b),
        "c1": person("丙一", LEADER, c),
        "c2": person("丙二", DIRECTOR, c),
    }
    db.session.flush()
    first = exam("第一期", beijing(2026, 3, 10), eligibility={"roles": [LEADER, DIRECTOR]})
    for key, passed in (("a1", True), ("a2", False), ("b1", True), ("c1", False), ("c2", True)):
        sit(first, p[key], passed)
    makeup = exam(
        "第一期（补考）",
        beijing(2026, 4, 10),
        makeup_of_id=first.id,
        eligibility={"person_ids": [p["a2"].id, p["b2"].id, p["c1"].id]},
    )
    sit(makeup, p["a2"], True)
    sit(makeup, p["c1"], False)
    if second_round_open:
        second = exam("第二期", NOW - timedelta(hours=1), hours=48)
    else:
        second = exam("第二期", beijing(2026, 9, 15))
    second.eligibility = {"person_ids": [p["b2"].id, p["c1"].id]}
    sit(second, p["c1"], True)
    if not second_round_open:
        sit(second, p["b2"], True)
    campaign = Campaign(name=NAME, year=2026, reach={})
    db.session.add(campaign)
    db.session.flush()
    db.session.add_all(
        [CampaignExam(exam_id=e.id, campaign_id=campaign.id) for e in (first, second)]
    )
    keep_report_rows([first.id, second.id])
    db.session.commit()
    return campaign, p


@pytest.fixture
def admin(make_user):
    return make_user(UserRole.ADMIN)


def _numbers(row: CampaignRow) -> dict:
    return {
        "expected": (row.expected.enterprises, row.expected.people),
        "sat": (row.sat.enterprises, row.sat.people),
        "passed_first": (row.passed_first.enterprises, row.passed_first.people),
        "passed_final": (row.passed_final.enterprises, row.passed_final.people),
        "not_passed": (row.not_passed.enterprises, row.not_passed.people),
        "rates": (row.first_rate, row.final_rate),
    }


def test_a_campaign_of_two_rounds_and_a_makeup_gives_the_bureaus_sentence(app, admin):
    campaign, _people = _campaign()
    figures = campaign_figures(admin, campaign, NOW)

    assert not figures.provisional
    assert (figures.rounds_opened, figures.rounds) == (2, 2)
    assert _numbers(figures.total) == {
        "expected": (3, 6),
        "sat": (3, 6),
        "passed_first": (3, 4),
        "passed_final": (3, 6),
        "not_passed": (0, 0),
        "rates": (66.7, 100.0),
    }
    leaders, directors = figures.by_post
    assert (leaders.role, directors.role) == (LEADER, DIRECTOR)
    assert _numbers(leaders)["passed_first"] == (2, 2)  # 甲一, 乙一
    assert _numbers(directors)["passed_first"] == (2, 2)  # 乙二 (第二期), 丙二
    assert _numbers(leaders)["rates"] == (66.7, 100.0)
    with app.test_request_context():
        assert campaign_sentence(figures) == (
            f"组织3家企业的主要负责人、安全总监共6人参加{NAME}，"
            "首次考试合格率66.7%，经补考最终合格率100%。"
        )


def test_an_open_round_makes_the_figures_provisional_and_names_who_is_still_expected(app, admin):
    campaign, people = _campaign(second_round_open=True)
    figures = campaign_figures(admin, campaign, NOW)

    assert figures.provisional
    # 乙二 has not sat yet: expected, not sat, not yet passed.
    assert _numbers(figures.total) == {
        "expected": (3, 6),
        "sat": (3, 5),
        "passed_first": (3, 3),
        "passed_final": (3, 5),
        "not_passed": (1, 1),
        "rates": (60.0, 100.0),
    }
    left = campaign_people(admin, campaign, "not_passed", None, NOW)
    assert [p.person_id for p in left] == [people["b2"].id]
    first_time = campaign_people(admin, campaign, "passed_first", DIRECTOR, NOW)
    assert [p.name for p in first_time] == ["丙二"]
    with app.test_request_context():
        sentence = campaign_sentence(figures)
    assert "共5人" in sentence and "（暂计，尚有考试或补考未结束）" in sentence


def test_a_rate_is_100_only_when_everybody_passed(app):
    assert rate(9996, 10000) == 99.9  # not rounded up to the target
    assert rate(996, 1000) == 99.6
    assert percent_text(rate(996, 1000)) == "99.6%"
    assert percent_text(rate(9996, 10000)) == "99.9%"
    assert percent_text(rate(7, 7)) == "100%"
    everyone = Measure(people=1000, enterprises=300)
    total = CampaignRow(
        role=None,
        expected=everyone,
        sat=everyone,
        passed_first=Measure(990, 300),
        passed_final=Measure(996, 300),
        not_passed=Measure(4, 3),
        sat_first=1000,
    )
    figures = CampaignFigures(1, NAME, 2026, (), total, 2, 2, provisional=False)
    with app.test_request_context():
        sentence = campaign_sentence(figures)
    assert "最终合格率99.6%" in sentence and "100%" not in sentence


def test_the_campaign_pages_show_the_figures_and_the_lists_behind_them(app, client, login_as):
    campaign, people = _campaign()
    login_as(UserRole.ADMIN)

    page = client.get(f"/reports/campaigns/{campaign.id}").get_data(as_text=True)
    assert "组织3家企业的主要负责人、安全总监共6人参加" in page
    assert f"/reports/campaigns/{campaign.id}/people?measure=passed_first" in page
    listed = client.get(
        f"/reports/campaigns/{campaign.id}/people?measure=passed_first&role={DIRECTOR}"
    ).get_data(as_text=True)
    assert "乙二" in listed and "丙二" in listed and "甲二" not in listed
    dashboard = client.get("/reports/?year=2026").get_data(as_text=True)
    assert "首次考试合格率66.7%" in dashboard
    assert client.get(f"/reports/campaigns/{campaign.id}/people?measure=bogus").status_code == 404


def test_the_congress_summary_gives_the_campaign_in_the_bureaus_words(app, client, login_as):
    _campaign()
    login_as(UserRole.ADMIN)
    response = client.get("/reports/summary.pdf?year=2026")
    assert response.status_code == 200
    text = re.sub(r"\s+", "", _text(response.data))
    assert (
        f"组织3家企业的主要负责人、安全总监共6人参加{NAME}，首次考试合格率66.7%，经补考最终合格率100%。"
        in text
    )
    assert _pages(response.data) == 1


def test_organisers_group_rounds_within_their_scope(app, client, login_as, make_exam):
    organiser = login_as(UserRole.ORGANISER)
    response = client.post(
        "/manage/campaigns/new", data={"name": NAME, "year": 2026, "description": ""}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    campaign = db.session.scalar(db.select(Campaign))
    assert campaign.created_by_id == organiser.id
    first, second = make_exam(), make_exam()
    makeup = make_exam(makeup_of_id=first.id)
    for exam_id in (first.id, second.id, makeup.id):
        client.post(f"/manage/campaigns/{campaign.id}/rounds", data={"exam_id": exam_id})
    db.session.expire_all()
    # A makeup is not offered as a round: it follows its exam.
    assert sorted(r.exam_id for r in campaign.rounds) == sorted([first.id, second.id])

    other = Campaign(name="另一活动", year=2026, reach={})
    db.session.add(other)
    db.session.commit()
    client.post(f"/manage/campaigns/{other.id}/rounds", data={"exam_id": first.id})
    db.session.expire_all()
    assert db.session.get(CampaignExam, first.id).campaign_id == campaign.id  # at most one

    page = client.get(f"/manage/campaigns/{campaign.id}").get_data(as_text=True)
    assert first.title in page
    client.post(f"/manage/campaigns/{campaign.id}/rounds/{second.id}/remove")
    db.session.expire_all()
    assert [r.exam_id for r in campaign.rounds] == [first.id]

    # A deleted exam leaves its campaign; the campaign's deletion keeps its exams.
    second_id = second.id
    client.post(f"/manage/campaigns/{campaign.id}/rounds", data={"exam_id": second_id})
    news.delete_exam(db.session.get(Exam, second_id))
    db.session.commit()
    assert db.session.get(CampaignExam, second_id) is None
    client.post(f"/manage/campaigns/{campaign.id}/delete")
    db.session.expire_all()
    assert db.session.get(CampaignExam, first.id) is None
    assert db.session.get(Exam, first.id) is not None


def test_a_sector_limited_organiser_manages_only_campaigns_within_their_sectors(
    app, client, login_as
):
    from exam.people.models import Sector

    hazchem = db.session.scalar(db.select(Sector).where(Sector.code == "hazardous_chemicals"))
    login_as(UserRole.ORGANISER, scope_sectors=[hazchem])
    everywhere = Campaign(name="全区专题考试", year=2026, reach={})
    theirs = Campaign(name="危化品专题考试", year=2026, reach={"sector_ids": [hazchem.id]})
    db.session.add_all([everywhere, theirs])
    db.session.commit()
    assert client.get(f"/manage/campaigns/{everywhere.id}").status_code == 404
    assert client.get(f"/manage/campaigns/{theirs.id}").status_code == 200
    index = client.get("/manage/campaigns/").get_data(as_text=True)
    assert "危化品专题考试" in index and "全区专题考试" not in index
    # A campaign for the whole district is beyond their scope.
    refused = client.post("/manage/campaigns/new", data={"name": "全区", "year": 2026})
    assert refused.status_code == 200
    assert db.session.scalar(db.select(db.func.count(Campaign.id))) == 2

"""Topic weaknesses and item analysis: the arithmetic on a hand-made data set, the number of
statements whatever the data size, access, and the pages and exports."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pytest
from conftest import statements_run
from openpyxl import load_workbook
from sqlalchemy import select

from exam.auth.models import User, UserRole
from exam.core.extensions import db
from exam.core.timeutil import utcnow
from exam.exams import services as exam_services
from exam.exams.models import Attempt, AttemptAnswer, Exam
from exam.people.models import PersonRole, Sector
from exam.people.services import update_person
from exam.questions import services as bank
from exam.questions.models import QuestionStatus, Topic
from exam.reports.queries import items, weakness
from question_bank.itemstats import Flag
from question_bank.model import LETTERS, QuestionData

#: The paper: (name, kind, options, key, points, topic code).
QUESTIONS = (
    ("q1", "single", ("甲", "乙", "丙", "丁"), "C", 30, "G1-1-1"),
    ("q2", "single", ("甲", "乙", "丙", "丁"), "A", 10, "G1-1"),  # the key is wrong: B is right
    ("q3", "truefalse", (), True, 20, "G2"),
    ("q4", "multiple", ("甲", "乙", "丙", "丁"), "ABD", 40, "G1"),
    ("q5", "fill", (), [["安全第一"]], 10, "G1-1-1"),
)
#: What ten candidates answered (original letters, as the question is written; None: nothing).
ANSWERS = (
    ("C", "B", True, "ABD", "安全"),  # c1: 90
    ("C", "B", True, "ABD", None),  # c2: 90
    ("C", "B", True, "AB", None),  # c3: 50
    ("C", "A", True, "ABD", "安全第一"),  # c4: 110
    ("A", "A", True, "ABD", None),  # c5: 70
    ("B", "A", True, None, None),  # c6: 30
    ("D", "A", True, "C", None),  # c7: 30
    ("C", "A", True, "AD", None),  # c8: 60
    (None, "A", True, "ABD", None),  # c9: 70
    ("B", "A", True, None, None),  # c10: 30
)
TOTALS = (90, 90, 50, 110, 70, 30, 30, 60, 70, 30)


def _topics():
    g1 = db.session.scalar(select(Topic).where(Topic.code == "G1"))
    measure = Topic(parent=g1, level="measure", code="G1-1", name="警示教育")
    point = Topic(parent=measure, level="point", code="G1-1-1", name="警示教育片")
    db.session.add_all([measure, point])
    db.session.flush()
    return {t.code: t for t in db.session.scalars(select(Topic))}


def _shown(original: str, order: list[int]) -> str:
    """The letters a candidate clicked on a paper showing the options in ``order``."""
    return "".join(sorted(LETTERS[order.index(LETTERS.index(c))] for c in original))


class DataSet:
    """An exam with the paper above sat by candidates at two enterprises, graded for real."""

    def __init__(self, make_person, make_enterprise, make_user):
        topics = _topics()
        author = make_user(UserRole.ADMIN)
        self.questions = []
        for _name, kind, options, key, _points, code in QUESTIONS:
            question = bank.create_question(
                QuestionData(kind=kind, stem=f"{kind}题干", options=options, answer=key),
                [topics[code]],
                [],
                author,
            )
            question.status = QuestionStatus.ACTIVE
            self.questions.append(question)
        db.session.flush()
        now = utcnow()
        self.exam = Exam(
            title="专项考试",
            blueprint={
                "fixed": [[q.id, p[4]] for q, p in zip(self.questions, QUESTIONS, strict=True)]
            },
            opens_at=now - timedelta(days=20),
            closes_at=now + timedelta(days=1),
            published_at=now - timedelta(days=21),
        )
        db.session.add(self.exam)
        self.chemicals = make_enterprise(sectors=("hazardous_chemicals",))
        self.smelting = make_enterprise(sectors=("metal_smelting", "dust_explosion"))
        db.session.commit()
        self.attempts = []

    def sit(
        self,
        make_person,
        answers,
        index: int,
        *,
        submitted_days_ago=10,
        cancelled=False,
        submitted=True,
        enterprise=None,
    ):
        role = PersonRole.PRINCIPAL_LEADER if index % 2 == 0 else PersonRole.SAFETY_MANAGER
        person = make_person(
            name=f"考生{index}",
            role=role,
            enterprise=enterprise or (self.chemicals if index < 5 else self.smelting),
        )
        user = db.session.scalar(select(User).where(User.person_id == person.id))
        order = [(j + index) % 4 for j in range(4)]  # each candidate sees the options rotated
        paper = [
            {
                "question_id": q.id,
                "version_id": q.current_version_id,
                "points": spec[4],
                "option_order": order if spec[1] in ("single", "multiple") else [],
                "kind": spec[1],
                "options": len(spec[2]),
                "blanks": 1 if spec[1] == "fill" else 0,
            }
            for q, spec in zip(self.questions, QUESTIONS, strict=True)
        ]
        at = utcnow() - timedelta(days=submitted_days_ago)
        attempt = Attempt(
            exam_id=self.exam.id,
            user_id=user.id,
            seed=index,
            paper=paper,
            paper_json="{}",
            started_at=at - timedelta(minutes=30),
            deadline=at + timedelta(minutes=30),
        )
        db.session.add(attempt)
        db.session.flush()
        for item, answer in zip(paper, answers, strict=True):
            if answer is None:
                continue
            response = (
                _shown(answer, order)
                if item["kind"] in ("single", "multiple")
                else ([answer] if item["kind"] == "fill" else answer)
            )
            db.session.add(
                AttemptAnswer(
                    attempt_id=attempt.id,
                    question_id=item["question_id"],
                    response=response,
                    seq=1,
                    saved_at=at,
                )
            )
        db.session.flush()
        if submitted:
            attempt.submitted_at = at
            exam_services.grade(attempt)
        if cancelled:
            attempt.cancelled_at = at
        db.session.commit()
        self.attempts.append(attempt)
        return person


@pytest.fixture
def data(app, make_person, make_enterprise, make_user):
    data = DataSet(make_person, make_enterprise, make_user)
    people = [data.sit(make_person, answers, index) for index, answers in enumerate(ANSWERS)]
    # Neither a cancelled score nor an attempt not yet handed in counts.
    data.sit(make_person, ("A", "A", False, "C", None), 10, cancelled=True)
    data.sit(make_person, ("A", "A", False, "C", None), 11, submitted=False)
    # The third candidate moved to the smelting enterprise after the exam: they still count
    # where they sat it.
    update_person(people[2], {}, data.smelting, date.today())
    db.session.commit()
    data.people = people
    return data


def test_hand_made_data_set_scores_as_designed(data):
    assert [a.score for a in data.attempts[:10]] == list(TOTALS)


def _admin():
    return db.session.scalar(select(User).where(User.role == UserRole.ADMIN))


def test_item_analysis_of_an_exam(data):
    stats = {s.question_id: s for s in items.exam_items(_admin(), data.exam.id)}
    q1, q2, q3, q4, q5 = (stats[q.id] for q in data.questions)
    # Ranked by total: c4 110, c1 90, c2 90 | ... | c6 30, c7 30, c10 30 (27 % of 10 is 3).
    assert all(s.candidates == 10 and s.upper == 3 and s.lower == 3 for s in stats.values())
    assert q1.facility == pytest.approx(0.5) and q1.discrimination == pytest.approx(1.0)
    assert q2.facility == pytest.approx(0.7) and q2.discrimination == pytest.approx(1 / 3 - 1)
    assert q3.facility == pytest.approx(1.0) and q3.discrimination == pytest.approx(0.0)
    assert q4.facility == pytest.approx(0.5) and q4.discrimination == pytest.approx(1.0)
    assert q5.facility == pytest.approx(0.1) and q5.discrimination == pytest.approx(1 / 3)
    assert q3.item_rest is None and q3.point_biserial is None  # everyone right: no variation
    assert q2.item_rest < 0 < q1.item_rest
    assert q1.flags == () and q4.flags == ()
    assert q2.flags == (Flag.NEGATIVE,)  # the wrong key
    assert q3.flags == (Flag.TOO_EASY,)
    assert q5.flags == (Flag.TOO_HARD,)


def test_option_frequencies_map_shuffled_letters_back_to_the_options_as_written(data):
    stats = {s.question_id: s for s in items.exam_items(_admin(), data.exam.id)}
    q1, q2, q3, q4, q5 = (stats[q.id] for q in data.questions)
    assert [(o.label, o.count, o.is_key) for o in q1.options] == [
        ("A", 1, False),
        ("B", 2, False),
        ("C", 5, True),
        ("D", 1, False),
    ]
    assert q1.answered == 9
    assert [(o.label, o.count) for o in q2.options] == [("A", 7), ("B", 3), ("C", 0), ("D", 0)]
    assert [(o.count, o.is_key) for o in q3.options] == [(10, True), (0, False)]
    assert [(o.label, o.count, o.is_key) for o in q4.options] == [
        ("A", 7, True),
        ("B", 6, True),
        ("C", 1, False),
        ("D", 6, True),
    ]
    assert q4.answered == 8
    assert q5.options == () and q5.answered == 2


def test_a_question_over_all_its_uses(data, make_person):
    report = items.question_items(_admin(), data.questions[1].id)
    assert [u.exam_id for u in report.uses] == [data.exam.id]
    assert report.overall.facility == pytest.approx(0.7)
    assert report.overall.discrimination == pytest.approx(-2 / 3)
    assert Flag.NEGATIVE in report.overall.flags
    assert [(o.label, o.count) for o in report.overall.options][:2] == [("A", 7), ("B", 3)]


def _cell(heat, code, key):
    topic = db.session.scalar(select(Topic).where(Topic.code == code))
    return heat.cell(topic.id, key)


def _sector(code):
    return str(db.session.scalar(select(Sector.id).where(Sector.code == code)))


def test_weakness_by_sector_rolls_points_up_to_measures_and_areas(data):
    heat = weakness.heat(_admin(), by="sector", date_from=None, date_to=None)
    chem, smelt, dust = (
        _sector("hazardous_chemicals"),
        _sector("metal_smelting"),
        _sector("dust_explosion"),
    )
    assert [c.key for c in heat.columns] == [chem, smelt, dust]
    # Point G1-1-1 holds q1 (30) and q5 (10): chemicals c1..c5 earned 30+30+30+40+0 of 200.
    assert _cell(heat, "G1-1-1", chem).percent == pytest.approx(65.0)
    assert _cell(heat, "G1-1-1", chem).attempts == 5
    assert _cell(heat, "G1-1-1", smelt).percent == pytest.approx(15.0)
    assert _cell(heat, "G1-1-1", dust).percent == pytest.approx(15.0)
    # Measure G1-1 adds q2 (10): 150 of 250; area G1 adds q4 (40): 310 of 450.
    assert _cell(heat, "G1-1", chem).percent == pytest.approx(60.0)
    assert _cell(heat, "G1", chem).percent == pytest.approx(100 * 310 / 450)
    assert _cell(heat, "G2", chem).percent == pytest.approx(100.0)
    # The total counts the smelting enterprise once although it is in two sectors.
    g111 = db.session.scalar(select(Topic.id).where(Topic.code == "G1-1-1"))
    assert heat.totals[g111].percent == pytest.approx(40.0) and heat.totals[g111].attempts == 10
    assert [r.code for r in heat.rows] == ["G1", "G1-1", "G1-1-1", "G2"]
    assert [r.code for r in heat.weak()] == ["G1-1-1", "G1-1", "G1"]


def test_weakness_by_role_and_filters(data):
    heat = weakness.heat(_admin(), by="role", date_from=None, date_to=None, exam_id=data.exam.id)
    assert [c.key for c in heat.columns] == [PersonRole.PRINCIPAL_LEADER, PersonRole.SAFETY_MANAGER]
    # Principal leaders are c1, c3, c5, c7, c9 (even indexes): q1 30+30+0+0+0, q5 0.
    assert _cell(heat, "G1-1-1", PersonRole.PRINCIPAL_LEADER).percent == pytest.approx(
        100 * 60 / 200
    )
    g111 = db.session.scalar(select(Topic.id).where(Topic.code == "G1-1-1"))
    assert heat.totals[g111].percent == pytest.approx(40.0) and heat.totals[g111].attempts == 10
    later = weakness.heat(
        _admin(), by="role", date_from=date.today() - timedelta(days=5), date_to=None
    )
    assert later.rows == () and later.columns == ()
    other = weakness.heat(
        _admin(), by="role", date_from=None, date_to=None, exam_id=data.exam.id + 1
    )
    assert other.rows == ()


def test_organisers_see_the_weaknesses_of_their_scope_only(data, make_user):
    smelting = db.session.scalar(select(Sector).where(Sector.code == "metal_smelting"))
    organiser = make_user(UserRole.ORGANISER, scope_sectors=[smelting])
    heat = weakness.heat(organiser, by="sector", date_from=None, date_to=None)
    # c6..c10 only; c3, who moved to the smelting enterprise later, sat the exam at chemicals.
    assert _cell(heat, "G1-1-1", _sector("metal_smelting")).attempts == 5
    assert _cell(heat, "G1-1-1", _sector("hazardous_chemicals")) is None


def _statements(function) -> int:
    db.session.expire_all()
    with statements_run() as statements:
        function()
    return len(statements)


def test_statement_count_does_not_grow_with_the_data(app, make_person, make_enterprise, make_user):
    data = DataSet(make_person, make_enterprise, make_user)
    admin = _admin()
    organiser = make_user(UserRole.ORGANISER)  # no scope: manages the exam
    scoped = make_user(
        UserRole.ORGANISER,
        scope_sectors=[
            db.session.scalar(select(Sector).where(Sector.code == "hazardous_chemicals"))
        ],
    )
    # The ids are read before counting: refreshing the test's own objects is not the reports'
    # work (a question graded in this session reloads with the loader options of the query
    # that loaded it: its topics and sectors).
    exam_id, question_id = data.exam.id, data.questions[0].id
    counts = []
    for size in (4, 12):
        while len(data.attempts) < size:
            index = len(data.attempts)
            data.sit(make_person, ANSWERS[index % 10], index)
        counts.append(
            [
                _statements(call)
                for call in (
                    lambda: items.exam_items(admin, exam_id),
                    lambda: items.exam_items(organiser, exam_id),
                    lambda: items.question_items(admin, question_id),
                    lambda: items.question_items(organiser, question_id),
                    lambda: weakness.heat(admin, by="sector", date_from=None, date_to=None),
                    lambda: weakness.heat(scoped, by="role", date_from=None, date_to=None),
                )
            ]
        )
    assert counts[0] == counts[1]
    assert max(counts[0]) <= 10, counts


# --- pages and access ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", [UserRole.CANDIDATE, UserRole.CONTACT])
def test_only_the_bureau_and_organisers_see_these_reports(client, login_as, data, role):
    login_as(role)
    for url in (
        "/reports/weakness",
        f"/reports/exams/{data.exam.id}/items",
        f"/reports/questions/{data.questions[0].id}/items",
    ):
        assert client.get(url).status_code == 403


def test_an_organiser_cannot_analyse_an_exam_they_do_not_manage(client, login_as, data):
    data.exam.eligibility = {"sector_ids": [int(_sector("hazardous_chemicals"))]}
    db.session.commit()
    smelting = db.session.scalar(select(Sector).where(Sector.code == "metal_smelting"))
    login_as(UserRole.ORGANISER, scope_sectors=[smelting])
    assert client.get(f"/reports/exams/{data.exam.id}/items").status_code == 404
    assert client.get(f"/reports/exams/{data.exam.id}/items.xlsx").status_code == 404


def test_item_analysis_page_flags_and_links_to_the_question(client, login_as, data):
    login_as(UserRole.ADMIN)
    page = client.get(f"/reports/exams/{data.exam.id}/items").get_data(as_text=True)
    assert f'href="/questions/{data.questions[1].id}"' in page
    assert 'data-flag="negative_discrimination"' in page
    assert 'data-flag="too_easy"' in page and 'data-flag="too_hard"' in page
    flagged = client.get(f"/reports/exams/{data.exam.id}/items?show=flagged").get_data(as_text=True)
    assert (
        f'id="q{data.questions[1].id}"' in flagged
        and f'id="q{data.questions[0].id}"' not in flagged
    )
    page = client.get(f"/reports/questions/{data.questions[1].id}/items").get_data(as_text=True)
    assert data.exam.title in page and 'data-flag="negative_discrimination"' in page


def test_weakness_page_draws_the_heat_map_and_links_weak_topics_to_training(client, login_as, data):
    login_as(UserRole.ADMIN)
    response = client.get("/reports/weakness?by=sector")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<svg" in page and "警示教育片" in page
    assert "/manage/training/new?topic=G1" in page
    sector = _sector("hazardous_chemicals")
    assert (
        f"/manage/training/new?topic=G1&amp;sector={sector}" in page
    )  # a weak cell: its sector too
    form = client.get(f"/manage/training/new?topic=G1&sector={sector}").get_data(as_text=True)
    assert re.search(r'<input checked[^>]*name="topic_codes"[^>]*value="G1"', form)
    assert re.search(rf'<input checked[^>]*name="sector_ids"[^>]*value="{sector}"', form)


@pytest.mark.parametrize(
    "query",
    [
        "by=colour",
        "from=2026-13-01",
        "exam=abc",
        "from=2026-05-01&to=2026-01-01",
        "to=9999-12-31",
        "exam=99999999999",
    ],
)
def test_weakness_page_explains_bad_filters(client, login_as, data, query):
    login_as(UserRole.ADMIN)
    response = client.get(f"/reports/weakness?{query}")
    assert response.status_code == 200
    assert "alert-warning" in response.get_data(as_text=True)


def test_exports(client, login_as, data):
    login_as(UserRole.ADMIN)
    response = client.get(f"/reports/exams/{data.exam.id}/items.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    header = next(r for r in rows if r and "难度系数" in [str(v) for v in r])
    q2 = next(r for r in rows if r and r[0] == data.questions[1].id)
    assert dict(zip(header, q2, strict=True))["难度系数"] == pytest.approx(0.7)
    assert dict(zip(header, q2, strict=True))["区分度"] == pytest.approx(-0.67)
    assert "负区分度" in dict(zip(header, q2, strict=True))["提示"]
    response = client.get("/reports/weakness.xlsx?by=role")
    assert response.status_code == 200
    rows = [
        [c.value for c in row]
        for row in load_workbook(io.BytesIO(response.data)).active.iter_rows()
    ]
    assert "知识点薄弱环节分析（按岗位）" in rows[0]
    header = next(r for r in rows if r and r[0] == "知识点")
    point = next(r for r in rows if r and str(r[0]).endswith("警示教育片"))
    assert dict(zip(header, point, strict=True))["总体得分率(%)"] == pytest.approx(40.0)


def test_pdf_exports(client, login_as, data):
    login_as(UserRole.ADMIN)
    for url in (f"/reports/exams/{data.exam.id}/items.pdf", "/reports/weakness.pdf?by=sector"):
        response = client.get(url)
        assert response.status_code == 200 and response.mimetype == "application/pdf"
        assert response.data.startswith(b"%PDF")


# --- ties at the group edges, both correlations and the counts, by hand -----------------------

#: Ten candidates whose totals tie at both 27 % edges (answers as the question is written).
TIED_ANSWERS = (
    ("C", "B", True, "ABD", None),  # c1: 30 + 0 + 20 + 40 + 0 = 90
    ("C", "B", True, "ABD", None),  # c2: 90
    ("C", "A", True, "ABD", None),  # c3: 100
    ("C", "A", True, "ABD", "安全第一"),  # c4: 110
    ("A", "A", True, "ABD", None),  # c5: 70
    ("B", "A", True, None, None),  # c6: 30
    ("D", "A", True, "C", None),  # c7: 30
    ("C", "B", False, "AD", None),  # c8: 30
    ("C", "A", False, "ABD", "安全第一"),  # c9: 90
    ("B", "A", False, None, None),  # c10: 10
)
#: The points each candidate earned on q1..q5 (worth 30, 10, 20, 40, 10), worked out by hand.
TIED_SCORES = (
    (30, 0, 20, 40, 0),
    (30, 0, 20, 40, 0),
    (30, 10, 20, 40, 0),
    (30, 10, 20, 40, 10),
    (0, 10, 20, 40, 0),
    (0, 10, 20, 0, 0),
    (0, 10, 20, 0, 0),
    (30, 0, 0, 0, 0),
    (30, 10, 0, 40, 10),
    (0, 10, 0, 0, 0),
)
POINTS = (30, 10, 20, 40, 10)
#: Group weights by hand. Ranked: 110 (c4), 100 (c3), 90 (c1, c2, c9), 70, 30 (c6, c7, c8),
#: 10 (c10); 27 % of 10 is 3 places a group. Upper: c4 and c3 take two, c1, c2 and c9 tied at
#: 90 share the one left (1/3 each). Lower: c10 takes one, c6, c7 and c8 tied at 30 share the
#: two left (2/3 each).
UPPER_WEIGHTS = (1 / 3, 1 / 3, 1, 1, 0, 0, 0, 0, 1 / 3, 0)
LOWER_WEIGHTS = (0, 0, 0, 0, 0, 2 / 3, 2 / 3, 2 / 3, 0, 1)


def _mean(values):
    return sum(values) / len(values)


def _pearson(xs, ys):
    """Pearson's r by its definition: covariance over the product of standard deviations."""
    mx, my = _mean(xs), _mean(ys)
    cov = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    sx = sum((x - mx) ** 2 for x in xs) ** 0.5
    sy = sum((y - my) ** 2 for y in ys) ** 0.5
    return cov / (sx * sy)


def _textbook_point_biserial(right, totals):
    """(M1 - M0) / s * sqrt(p q): M1, M0 the mean totals of those right and wrong, s the
    standard deviation of the totals over n, p the share right."""
    n = len(totals)
    m1 = _mean([t for r, t in zip(right, totals, strict=True) if r])
    m0 = _mean([t for r, t in zip(right, totals, strict=True) if not r])
    mean = _mean(totals)
    s = (sum((t - mean) ** 2 for t in totals) / n) ** 0.5
    p = sum(right) / n
    return (m1 - m0) / s * (p * (1 - p)) ** 0.5


def _weighted_mean(values, weights):
    return sum(v * w for v, w in zip(values, weights, strict=True)) / sum(weights)


def _tied_exam(data, make_person, order):
    """The tied data set sat in a new exam of the same paper, the candidates starting in
    ``order`` (so their attempt ids follow it)."""
    now = utcnow()
    data.exam = Exam(
        title=f"并列考试{len(order)}-{order[0]}",
        blueprint=dict(data.exam.blueprint),
        opens_at=now - timedelta(days=20),
        closes_at=now + timedelta(days=1),
        published_at=now - timedelta(days=21),
    )
    db.session.add(data.exam)
    db.session.commit()
    for index in order:
        data.sit(make_person, TIED_ANSWERS[index], 100 + index)
    return data.exam


@pytest.fixture
def tied(app, make_person, make_enterprise, make_user):
    data = DataSet(make_person, make_enterprise, make_user)
    exam = _tied_exam(data, make_person, range(10))
    return data, exam


def test_item_analysis_with_ties_agrees_with_the_figures_worked_out_by_hand(tied):
    data, exam = tied
    totals = [sum(row) for row in TIED_SCORES]
    assert [a.score for a in data.attempts] == totals  # grading agrees with the hand table
    assert sum(UPPER_WEIGHTS) == pytest.approx(3) and sum(LOWER_WEIGHTS) == pytest.approx(3)
    stats = {s.question_id: s for s in items.exam_items(_admin(), exam.id)}
    for j, question in enumerate(data.questions):
        s = stats[question.id]
        x = [row[j] / POINTS[j] for row in TIED_SCORES]
        rest = [t - row[j] for t, row in zip(totals, TIED_SCORES, strict=True)]
        assert s.candidates == 10
        assert s.upper == pytest.approx(3) and s.lower == pytest.approx(3)
        assert s.facility == pytest.approx(_mean(x))
        assert s.discrimination == pytest.approx(
            _weighted_mean(x, UPPER_WEIGHTS) - _weighted_mean(x, LOWER_WEIGHTS)
        ), question.id
        assert s.item_rest == pytest.approx(_pearson(x, rest)), question.id
        assert s.point_biserial == pytest.approx(_textbook_point_biserial(x, totals)), question.id
    q1, q2, q3, q4, q5 = (stats[q.id] for q in data.questions)
    # A few of those figures as plain numbers: q1 (30 points) is right for c1..c4, c8 and c9:
    # upper (1/3 + 1/3 + 1 + 1 + 1/3) / 3 = 1, lower (2/3 for c8) / 3 = 2/9.
    assert q1.discrimination == pytest.approx(1 - 2 / 9)
    # q5 (the fill-in) is right for c4 and c9 only: upper (1 + 1/3) / 3, lower 0.
    assert q5.discrimination == pytest.approx(4 / 9)
    # Answered (a response given) is not the papers containing the question.
    assert (q1.answered, q4.answered, q5.answered) == (10, 8, 2)


def test_the_order_in_which_candidates_started_does_not_change_discrimination(tied, make_person):
    data, forwards = tied
    backwards = _tied_exam(data, make_person, range(9, -1, -1))
    shuffled = _tied_exam(data, make_person, (4, 8, 0, 6, 2, 9, 1, 7, 3, 5))
    figures = [
        [
            (s.facility, s.discrimination, s.item_rest, s.point_biserial, s.upper, s.lower)
            for s in items.exam_items(_admin(), exam.id)
        ]
        for exam in (forwards, backwards, shuffled)
    ]
    for other in figures[1:]:
        for a, b in zip(figures[0], other, strict=True):
            assert a == pytest.approx(b)


def test_the_pages_and_exports_show_both_correlations_and_the_answered_count(
    client, login_as, tied
):
    data, exam = tied
    login_as(UserRole.ADMIN)
    stats = {s.question_id: s for s in items.exam_items(_admin(), exam.id)}
    q5 = stats[data.questions[4].id]
    page = client.get(f"/reports/exams/{exam.id}/items").get_data(as_text=True)
    assert "题-余分相关" in page and "点二列相关" in page
    assert "含此题试卷10份，作答2人次" in page
    assert "按比例分摊" in page  # the legend explains the ties
    response = client.get(f"/reports/exams/{exam.id}/items.xlsx")
    rows = [
        [c.value for c in row]
        for row in load_workbook(io.BytesIO(response.data)).active.iter_rows()
    ]
    header = next(r for r in rows if r and "难度系数" in [str(v) for v in r])
    assert "作答人数" not in header
    row = dict(zip(header, next(r for r in rows if r and r[0] == q5.question_id), strict=True))
    assert row["含此题试卷数"] == 10 and row["作答人次"] == 2
    assert row["题-余分相关"] == pytest.approx(round(q5.item_rest, 2))
    assert row["点二列相关"] == pytest.approx(round(q5.point_biserial, 2))
    assert any(r and "题-余分相关（校正的题总相关）" in str(r[0]) for r in rows)
    page = client.get(f"/reports/questions/{data.questions[4].id}/items").get_data(as_text=True)
    assert "题-余分相关" in page and "作答人次" in page

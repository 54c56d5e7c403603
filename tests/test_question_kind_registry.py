"""A kind of question added in one place — its class in the registry and its template — works
everywhere: in a paper, on the exam API, in grading, in the result review, in item analysis,
in practice and on the question's page. The kind below exists in this test only; any caller
that still decides by the kind's name (``if kind == "single"``) gets it wrong and fails here."""

from __future__ import annotations

import io
import re

import pytest
from conftest import PASSWORD
from jinja2 import ChoiceLoader, FileSystemLoader
from openpyxl import Workbook
from sqlalchemy import select

from exam.auth.models import User, UserRole
from exam.core.extensions import db
from exam.exams.models import Attempt, AttemptItem
from exam.questions import services as bank
from exam.questions.models import QuestionStatus, QuestionVersion, Topic
from exam.reports.queries import items
from question_bank import kinds
from question_bank.model import LETTERS, Grade, QuestionData, ScoringPolicy
from question_bank.problems import Problem

OPTIONS = ("接到报告", "疏散人员", "切断电源", "上报事故", "保护现场", "总结整改")
#: The right order, as the question is written.
RIGHT = "CBADEF"


class Ordering(kinds.Kind):
    """Put the options in the right order (排序题). The response is the letters in order, so
    shuffled letters map back one by one and are never sorted; a candidate's answer reads
    "C → B → …"; item analysis counts which option was put first."""

    code, chinese, english = "ordering", "排序题", "Ordering"
    has_options = True

    def _validate(self, q: QuestionData) -> list[Problem]:
        letters = LETTERS[: len(q.options)]
        if len(q.options) < 2 or sorted(str(q.answer)) != sorted(letters):
            return [Problem("the answer must put every option in order")]
        return []

    def parse_answer(self, text: str) -> str:
        return "".join(c for c in text.upper() if c in LETTERS)

    def format_answer(self, answer: object) -> str:
        return "、".join(str(answer))  # as clerks write an order: C、B、A…

    def grade(self, q, response, policy=ScoringPolicy.ALL_OR_NOTHING) -> Grade:
        right = isinstance(response, str) and response.upper() == q.answer
        return Grade(1.0 if right else 0.0, right)

    def _check(self, response, shape):
        letters = LETTERS[: shape.options]
        if not isinstance(response, str) or sorted(response.upper()) != sorted(letters):
            raise kinds.BadResponse(response)
        return response.upper()

    def read_form(self, form):
        return self.parse_answer((form.get("order") or [""])[0])

    def to_original(self, response, order):
        if not order or not isinstance(response, str):
            return response
        return "".join(LETTERS[order[LETTERS.index(c)]] for c in response.upper())

    def to_shown(self, response, order):
        if not order or not isinstance(response, str):
            return response
        return "".join(LETTERS[list(order).index(LETTERS.index(c))] for c in response)

    def describe(self, response) -> str:
        return " → ".join(response) if response else ""

    def tally(self, response) -> str:
        return response if isinstance(response, str) else ""

    def choices(self, q):
        return tuple(
            kinds.Choice(i, LETTERS[i], text, LETTERS[i] == q.answer[0])
            for i, text in enumerate(q.options)
        )

    def chosen(self, tally: str) -> list:
        return [LETTERS.index(tally[0])] if tally else []


#: How the kind is shown and answered (in practice, on the question's page): its template,
#: found by its name like every kind's.
TEMPLATE = """<ol class="ordering" data-kind-template="ordering">
{% for option in version.options %}<li><b>{{ letters[loop.index0] }}.</b> {{ option|rich }}</li>{% endfor %}
</ol>
{% if inputs %}<input class="form-control" name="order" autocomplete="off">{% endif %}
{% if show_answer %}<p class="small">{{ version.answer }}</p>{% endif %}
"""


@pytest.fixture
def ordering(app, tmp_path, make_user):
    """The kind registered, its template on the loader, and one active question of it (the
    only one in its own topic)."""
    kind = kinds.register(Ordering())
    folder = tmp_path / "templates"
    (folder / "kinds").mkdir(parents=True)
    (folder / "kinds" / "ordering.html").write_text(TEMPLATE, encoding="utf-8")
    loader = app.jinja_env.loader
    app.jinja_env.loader = ChoiceLoader([FileSystemLoader(str(folder)), loader])
    topic = Topic(level="area", code="T-ORDER", name="应急处置顺序", sort_order=99)
    db.session.add(topic)
    question = bank.create_question(
        QuestionData(
            kind="ordering", stem="发生事故后的处置顺序是（　）。", options=OPTIONS, answer=RIGHT
        ),
        [topic],
        [],
        make_user(UserRole.ORGANISER),
    )
    question.status = QuestionStatus.ACTIVE
    db.session.commit()
    yield question
    app.jinja_env.loader = loader
    kinds.unregister(kind.code)


def _client(app, user: User):
    client = app.test_client()
    response = client.post("/login", data={"login": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def _sit(client, exam, question_id: int, first: str) -> tuple[int, str]:
    """Start, save an order that puts ``first`` first (the right one if it is the right
    first), submit; the attempt id and the order as the candidate's paper showed it."""
    attempt_id = client.post(f"/api/v1/exams/{exam.id}/attempts").get_json()["attempt_id"]
    paper = client.get(f"/api/v1/attempts/{attempt_id}").get_json()["paper"]["questions"]
    shown = next(q for q in paper if q["question_id"] == question_id)
    assert shown["kind"] == "ordering" and shown["blanks"] == 0
    wanted = RIGHT if first == RIGHT[0] else first + RIGHT.replace(first, "")
    # The letters the paper shows each option under, found by the options' texts.
    letter_of = {option["text"]: option["letter"] for option in shown["options"]}
    response = "".join(letter_of[OPTIONS[LETTERS.index(c)]] for c in wanted)
    url = f"/api/v1/attempts/{attempt_id}/answers/{question_id}"
    refused = client.put(url, json={"answer": response[:2], "seq": 1}).get_json()
    assert refused["error"]["code"] == "bad_answer"  # the kind checks the shape: every option
    assert client.put(url, json={"answer": response, "seq": 2}).get_json()["stored"] is True
    assert client.post(f"/api/v1/attempts/{attempt_id}/submit").status_code == 200
    return attempt_id, response


def test_a_kind_added_in_one_place_is_sat_graded_reviewed_and_analysed(
    app, ordering, make_exam, make_user
):
    rules = [
        {"count": 1, "kind": "ordering", "points": 10},
        {"count": 1, "kind": "single", "points": 10},
    ]
    exam = make_exam(rules=rules, review_policy="immediately")
    right = make_user(UserRole.CANDIDATE)
    wrong = make_user(UserRole.CANDIDATE)

    # Sitting through the exam page's API: the kind checks the shape of what is sent.
    candidate = _client(app, right)
    attempt_id, shown = _sit(candidate, exam, ordering.id, RIGHT[0])
    page = candidate.get(f"/attempts/{attempt_id}")  # submitted: on to the result
    assert page.status_code == 302
    attempt = db.session.get(Attempt, attempt_id)
    item = next(i for i in attempt.paper if i["question_id"] == ordering.id)
    assert len(item["option_order"]) == len(OPTIONS)  # a kind with options is shuffled

    # Grading maps the shown letters back one by one: full marks for the right order.
    result = candidate.get(f"/api/v1/attempts/{attempt_id}/result").get_json()
    review = next(r for r in result["review"] if r["question_id"] == ordering.id)
    assert review["score"] == 10
    # The review speaks in the letters the candidate saw, as the kind writes an answer.
    assert review["your_answer"] == " → ".join(shown) and review["right_answer"] == "、".join(shown)
    page = candidate.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    assert " → ".join(shown) in page and "、".join(shown) in page
    kept = db.session.scalar(
        select(AttemptItem.answer).where(
            AttemptItem.attempt_id == attempt_id, AttemptItem.question_id == ordering.id
        )
    )
    assert kept == RIGHT

    other_id, _ = _sit(_client(app, wrong), exam, ordering.id, "A")
    other = next(
        i
        for i in db.session.get(Attempt, other_id).result["items"]
        if i["question_id"] == ordering.id
    )
    assert other["score"] == 0 and not other["correct"]

    # Item analysis counts what the kind says it counts: the option put first.
    admin = make_user(UserRole.ADMIN)
    stats = next(s for s in items.exam_items(admin, exam.id) if s.question_id == ordering.id)
    assert stats.kind == "ordering" and stats.answered == 2 and stats.facility == 0.5
    counts = {o.label: (o.count, o.is_key) for o in stats.options}
    assert counts == {
        "A": (1, False),
        "B": (0, False),
        "C": (1, True),
        "D": (0, False),
        "E": (0, False),
        "F": (0, False),
    }
    staff = _client(app, admin)
    report = staff.get(f"/reports/exams/{exam.id}/items").get_data(as_text=True)
    assert f'id="q{ordering.id}"' in report and "接到报告" in report

    # The question's own page shows it with its template and its answer as its kind writes it.
    detail = staff.get(f"/questions/{ordering.id}").get_data(as_text=True)
    assert 'data-kind-template="ordering"' in detail
    assert f'id="question-answer">{"、".join(RIGHT)}<' in detail
    form = staff.get("/questions/new").get_data(as_text=True)
    assert '<option value="ordering">Ordering</option>' in form


def test_the_exam_page_loads_the_widget_of_each_kind_on_the_paper(
    app, ordering, make_exam, make_user
):
    rules = [
        {"count": 1, "kind": "ordering", "points": 10},
        {"count": 1, "kind": "truefalse", "points": 10},
    ]
    exam = make_exam(rules=rules)
    candidate = _client(app, make_user(UserRole.CANDIDATE))
    attempt_id = candidate.post(f"/api/v1/exams/{exam.id}/attempts").get_json()["attempt_id"]
    page = candidate.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert '<script src="/static/kinds/ordering.js">' in page
    assert '<script src="/static/kinds/truefalse.js">' in page
    assert "kinds/single.js" not in page  # only the kinds on this paper
    assert page.index("kinds/ordering.js") < page.index("/static/exam.js")


def test_a_kind_added_in_one_place_is_practised(app, ordering, make_user):
    candidate = _client(app, make_user(UserRole.CANDIDATE))
    topic = db.session.scalar(select(Topic).where(Topic.code == "T-ORDER"))
    page = candidate.get(f"/practice/topic/{topic.id}").get_data(as_text=True)
    assert 'data-kind-template="ordering"' in page and 'name="order"' in page
    version_id = ordering.current_version_id
    answer = {"question_id": ordering.id, "version_id": version_id, "mode": f"topic:{topic.id}"}
    result = candidate.post("/practice/answer", data={**answer, "order": RIGHT.lower()})
    page = result.get_data(as_text=True)
    assert result.status_code == 200 and "alert-success" in page
    assert " → ".join(RIGHT) in page
    wrong = candidate.post("/practice/answer", data={**answer, "order": "ABCDEF"})
    assert "alert-danger" in wrong.get_data(as_text=True)


def test_a_kind_added_in_one_place_is_imported_from_the_template(app, ordering, make_user):
    staff = _client(app, make_user(UserRole.ORGANISER))
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["题型", "题干", *(f"选项{c}" for c in "ABCDEF"), "答案", "专题"])
    sheet.append(["排序题", "事故报告的顺序是（　）。", *OPTIONS, "C、B、A、D、E、F", "G1"])
    out = io.BytesIO()
    workbook.save(out)
    preview = staff.post(
        "/questions/import",
        data={"file": (io.BytesIO(out.getvalue()), "bank.xlsx"), "format": ""},
        content_type="multipart/form-data",
    )
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200 and 'id="import-ok"' in page
    assert "<td>C、B、A、D、E、F</td>" in page  # the preview shows the answer as the kind writes it
    token = re.search(r'name="token" type="hidden" value="([0-9a-f]+)"', page).group(1)
    staff.post("/questions/import/confirm", data={"token": token})
    imported = db.session.scalar(
        select(QuestionVersion).where(QuestionVersion.stem.contains("事故报告的顺序"))
    )
    assert imported.kind == "ordering" and imported.answer == RIGHT


def test_the_kind_leaves_the_registry_after_the_test():
    assert "ordering" not in kinds.KINDS

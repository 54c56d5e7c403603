"""Candidates practise by topic, see explanations, and keep a wrong-answer list."""

import re

import pytest

from exam.auth.models import UserRole
from exam.core.extensions import db
from exam.questions import services
from exam.questions.models import PracticeAnswer, QuestionStatus, Topic, WrongAnswer
from question_bank.model import QuestionData


def _topic(code):
    return db.session.scalar(db.select(Topic).where(Topic.code == code))


@pytest.fixture
def bank(app, make_user):
    author = make_user(UserRole.ORGANISER)

    def add(
        stem, answer="A", usage="both", status=QuestionStatus.ACTIVE, topic="G1", kind="single"
    ):
        options = ("第一责任人", "监督人", "协助人") if kind in ("single", "multiple") else ()
        question = services.create_question(
            QuestionData(
                kind=kind,
                stem=stem,
                options=options,
                answer=answer,
                explanation=f"解析：{stem}",
                legal_source="《安全生产法》第五条",
                usage=usage,
            ),
            [_topic(topic)],
            [],
            author,
        )
        question.status = status
        db.session.commit()
        return question

    return add


def _ids(page: str) -> tuple[str, str]:
    return (
        re.search(r'name="question_id" type="hidden" value="(\d+)"', page).group(1),
        re.search(r'name="version_id" type="hidden" value="(\d+)"', page).group(1),
    )


def test_candidate_practises_a_topic_and_sees_the_explanation(client, login_as, bank):
    question = bank("主要负责人是本单位安全生产（　）。")
    login_as(UserRole.CANDIDATE)
    page = client.get(f"/practice/topic/{_topic('G1').id}").get_data(as_text=True)
    assert "主要负责人是本单位安全生产" in page
    assert "解析：" not in page  # the explanation and answer come only after answering
    question_id, version_id = _ids(page)
    assert question_id == str(question.id)
    result = client.post(
        "/practice/answer",
        data={
            "question_id": question_id,
            "version_id": version_id,
            "mode": f"topic:{_topic('G1').id}",
            "choice": "A",
        },
    )
    page = result.get_data(as_text=True)
    assert result.status_code == 200 and 'id="practice-verdict"' in page and "alert-success" in page
    assert "解析：主要负责人是本单位安全生产" in page


def test_wrong_answers_go_to_the_list_and_leave_it_when_answered_right_there(
    client, login_as, bank
):
    question = bank("题一")
    user = login_as(UserRole.CANDIDATE)
    data = {"question_id": question.id, "version_id": question.current_version_id}
    client.post("/practice/answer", data={**data, "mode": "topic:1", "choice": "B"})
    client.post("/practice/answer", data={**data, "mode": "topic:1", "choice": "C"})
    entry = db.session.scalar(db.select(WrongAnswer).where(WrongAnswer.user_id == user.id))
    assert entry.question_id == question.id and entry.times_wrong == 2
    client.post("/practice/answer", data={**data, "mode": "topic:1", "choice": "A"})
    assert db.session.scalar(db.select(WrongAnswer)) is not None  # right in a topic: still listed
    assert "题一" in client.get("/practice/wrong").get_data(as_text=True)
    client.post("/practice/answer", data={**data, "mode": "wrong", "choice": "A"})
    assert db.session.scalar(db.select(WrongAnswer)) is None
    assert db.session.scalar(db.select(db.func.count(PracticeAnswer.id))) == 4


def test_exam_only_drafts_and_retired_questions_are_never_practised(client, login_as, bank):
    bank("仅考试的题", usage="exam")
    draft = bank("草稿题", status=QuestionStatus.DRAFT)
    bank("停用的题", status=QuestionStatus.RETIRED)
    login_as(UserRole.CANDIDATE)
    page = client.get(f"/practice/topic/{_topic('G1').id}").get_data(as_text=True)
    assert "还没有可练习的题" in page or "no questions" in page
    response = client.post(
        "/practice/answer",
        data={"question_id": draft.id, "version_id": draft.current_version_id, "choice": "A"},
    )
    assert response.status_code == 404


def test_practice_counts_per_area(client, login_as, bank):
    bank("一", topic="G1")
    bank("二", topic="G1")
    bank("三", topic="G7")
    bank("四", topic="G7", usage="exam")
    login_as(UserRole.CANDIDATE)
    page = client.get("/practice/").get_data(as_text=True)
    assert re.search(r"抓教育培训</span><span[^>]*>2<", page)
    assert re.search(r"抓应急处置</span><span[^>]*>1<", page)


def test_fill_in_and_multiple_choice_are_graded(client, login_as, bank):
    fill = bank("坚持____的方针", answer=[["安全第一"]], kind="fill")
    multiple = bank("哪些？", answer="AB", kind="multiple")
    login_as(UserRole.CANDIDATE)
    right = client.post(
        "/practice/answer",
        data={"question_id": fill.id, "version_id": fill.current_version_id, "blank": "安全 第一"},
    ).get_data(as_text=True)
    assert "alert-success" in right
    wrong = client.post(
        "/practice/answer",
        data={
            "question_id": multiple.id,
            "version_id": multiple.current_version_id,
            "choice": ["A"],
        },
    ).get_data(as_text=True)
    assert "alert-danger" in wrong  # a subset is not right in practice


def test_staff_do_not_practise(client, login_as):
    login_as(UserRole.ORGANISER)
    assert client.get("/practice/").status_code == 403


def test_only_the_version_in_use_can_be_practised(client, login_as, bank, make_user):
    question = bank("第一版题干")
    first_version = question.current_version_id
    services.update_question(
        question,
        QuestionData(
            kind="single", stem="第二版题干", options=("第一责任人", "监督人", "协助人"), answer="B"
        ),
        question.topics,
        [],
        make_user(UserRole.ORGANISER),
    )
    question.status = QuestionStatus.ACTIVE
    db.session.commit()
    login_as(UserRole.CANDIDATE)
    old = client.post(
        "/practice/answer",
        data={"question_id": question.id, "version_id": first_version, "choice": "A"},
    )
    assert old.status_code == 404


@pytest.mark.parametrize(
    "data",
    [
        {"question_id": "²", "version_id": "1"},
        {"question_id": "99999999999999999999", "version_id": "1"},
        {"question_id": "", "version_id": ""},
        {"question_id": "1", "version_id": "1", "mode": "topic:²"},
    ],
)
def test_odd_practice_posts_are_refused_not_errors(client, login_as, data):
    login_as(UserRole.CANDIDATE)
    assert client.post("/practice/answer", data=data).status_code in (400, 404)


def test_exam_only_and_retired_questions_cannot_be_answered_by_posting(client, login_as, bank):
    exam_only = bank("仅考试", usage="exam")
    retired = bank("停用", status=QuestionStatus.RETIRED)
    login_as(UserRole.CANDIDATE)
    for question in (exam_only, retired):
        response = client.post(
            "/practice/answer",
            data={
                "question_id": question.id,
                "version_id": question.current_version_id,
                "choice": "A",
            },
        )
        assert response.status_code == 404
    assert db.session.scalar(db.select(db.func.count(PracticeAnswer.id))) == 0


def _choice(page: str, value: str) -> str:
    """The feedback's line for one option (``data-choice``), its marks included."""
    return re.search(rf'<li [^>]*data-choice="{value}".*?</li>', page, re.S).group(0)


def test_the_practice_form_is_submitted_with_a_button_that_says_so(client, login_as, bank):
    bank("题干")
    login_as(UserRole.CANDIDATE)
    page = client.get(f"/practice/topic/{_topic('G1').id}").get_data(as_text=True)
    assert re.search(r'id="submit-answer">提交答案<', page)


def test_feedback_marks_the_chosen_option_and_the_right_one_in_words(client, login_as, bank):
    question = bank("主要负责人是本单位安全生产（　）。")
    login_as(UserRole.CANDIDATE)
    data = {"question_id": question.id, "version_id": question.current_version_id}
    page = client.post("/practice/answer", data={**data, "choice": "B"}).get_data(as_text=True)
    assert "✗ 您的选择" in _choice(page, "B") and "监督人" in _choice(page, "B")
    assert "正确答案" in _choice(page, "A") and "您的选择" not in _choice(page, "A")
    assert "您的选择" not in _choice(page, "C") and "正确答案" not in _choice(page, "C")
    page = client.post("/practice/answer", data={**data, "choice": "A"}).get_data(as_text=True)
    assert "✓ 您的选择" in _choice(page, "A") and "正确答案" in _choice(page, "A")


def test_feedback_marks_true_false_and_each_blank(client, login_as, bank):
    truth = bank("安全第一。", answer=True, kind="truefalse")
    fill = bank("坚持____、____的方针", answer=[["安全第一"], ["预防为主"]], kind="fill")
    login_as(UserRole.CANDIDATE)
    page = client.post(
        "/practice/answer",
        data={"question_id": truth.id, "version_id": truth.current_version_id, "choice": "false"},
    ).get_data(as_text=True)
    assert "✗ 您的选择" in _choice(page, "False") and "正确答案" in _choice(page, "True")
    page = client.post(
        "/practice/answer",
        data={
            "question_id": fill.id,
            "version_id": fill.current_version_id,
            "blank": ["安全第一", "以人为本"],
        },
    ).get_data(as_text=True)
    assert "✓ 您的答案: 安全第一" in page and "✗ 您的答案: 以人为本" in page
    assert "可接受的答案: 预防为主" in page


def test_the_wrong_answer_book_is_a_list_to_read_with_a_drill(client, login_as, bank):
    first = bank("第一道错题")
    second = bank("第二道错题", answer="C")
    bank("没有答错的一题")
    login_as(UserRole.CANDIDATE)
    for question, choice in ((first, "B"), (second, "A")):
        client.post(
            "/practice/answer",
            data={
                "question_id": question.id,
                "version_id": question.current_version_id,
                "choice": choice,
            },
        )
    page = client.get("/practice/wrong").get_data(as_text=True)
    assert "第一道错题" in page and "第二道错题" in page and "没有答错的一题" not in page
    assert page.index("第二道错题") < page.index("第一道错题")  # the latest mistake first
    entry = re.search(rf'id="wrong-{first.id}".*?</article>', page, re.S).group(0)
    assert "第一责任人" in entry and "监督人" in entry and "协助人" in entry  # the options
    assert "✗ 您的选择" in _choice(entry, "B") and "正确答案" in _choice(entry, "A")
    assert "解析：第一道错题" in entry and "《安全生产法》第五条" in entry
    assert "最近答错：" in entry and "答错1次" in entry
    assert 'href="/practice/wrong/practise"' in page  # and a way to practise them
    drill = client.get("/practice/wrong/practise").get_data(as_text=True)
    assert 'name="mode" type="hidden" value="wrong"' in drill
    assert "第一道错题" in drill or "第二道错题" in drill

"""The result page tells the truth: each question as the candidate saw it (options in the
order and with the letters shown), their own answers as given, the key only as the exam's
review policy allows, and the certificate a pass earned."""

import re
from datetime import timedelta

from exam.auth.models import UserRole
from exam.certificates import services as certificates
from exam.core.extensions import db
from exam.core.timeutil import utcnow
from exam.exams.models import Attempt, Exam
from exam.questions import services as bank
from exam.questions.models import QuestionStatus, Topic
from question_bank import kinds
from question_bank.model import QuestionData

OPTIONS = ("定期报废", "仅在发生故障时检修", "交由使用人员自行处理", "经常性维护、保养")
CHOICE = QuestionData(
    kind="single",
    stem="对在用安全设备应当如何管理？",
    options=OPTIONS,
    answer="D",
    explanation="安全设备须经常性维护、保养。",
    legal_source="《安全生产法》第三十六条",
)
FILL = QuestionData(
    kind="fill",
    stem="重大危险源辨识后___小时内报告，编制___。",
    answer=[["48", "四十八"], ["概算"]],
    explanation="填空解析",
)


def add_question(make_user, data: QuestionData) -> int:
    """An active question under topic G2 (the shared bank's are all under G1)."""
    topic = db.session.scalar(db.select(Topic).where(Topic.code == "G2"))
    question = bank.create_question(data, [topic], [], make_user(UserRole.ORGANISER))
    question.status = QuestionStatus.ACTIVE
    db.session.commit()
    return question.id


def one_question_exam(make_exam, kind: str, **fields) -> Exam:
    return make_exam(rules=[{"count": 1, "kind": kind, "points": 10, "topic": "G2"}], **fields)


def start(client, exam: Exam) -> int:
    response = client.post(f"/api/v1/exams/{exam.id}/attempts")
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["attempt_id"]


def shown_paper(client, attempt_id: int) -> dict:
    return client.get(f"/api/v1/attempts/{attempt_id}").get_json()["paper"]["questions"][0]


def answer(client, attempt_id: int, question: dict, response) -> None:
    url = f"/api/v1/attempts/{attempt_id}/answers/{question['question_id']}"
    assert client.put(url, json={"answer": response, "seq": 1}).get_json()["stored"] is True


def submit(client, attempt_id: int) -> dict:
    return client.post(f"/api/v1/attempts/{attempt_id}/submit").get_json()


def letter_of(question: dict, text: str) -> str:
    return next(o["letter"] for o in question["options"] if o["text"] == text)


def review_items(page: str) -> list[str]:
    return re.findall(r'<article class="card mb-2 review-item".*?</article>', page, re.S)


def text_of(html: str) -> str:
    """What a person reads: the tags taken out, the spaces folded."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html)).strip()


def option_items(item: str) -> list[str]:
    return re.findall(r'<li class="list-group-item[^"]*review-option.*?</li>', item, re.S)


# --- the kinds: a question as shown ---------------------------------------------------------


def test_a_choice_question_is_reviewed_in_the_order_and_with_the_letters_shown():
    single = kinds.get("single")
    # Shown D, A, B, C: the candidate tapped the first one, "A" on their screen.
    shown = single.review(CHOICE, "A", (3, 0, 1, 2), reveal=True)
    assert [o.text for o in shown.options] == [OPTIONS[3], *OPTIONS[:3]]
    assert [o.letter for o in shown.options] == ["A", "B", "C", "D"]
    assert [o.chosen for o in shown.options] == [True, False, False, False]
    assert [o.is_key for o in shown.options] == [True, False, False, False]
    withheld = single.review(CHOICE, "A", (3, 0, 1, 2), reveal=False)
    assert [o.is_key for o in withheld.options] == [None] * 4
    truth = kinds.get("truefalse").review(
        QuestionData(kind="truefalse", stem="?", answer=False), True, (), reveal=True
    )
    assert [(o.text, o.chosen, o.is_key) for o in truth.options] == [
        ("对", True, False),
        ("错", False, True),
    ]


def test_fill_in_blanks_are_reviewed_as_typed_with_their_accepted_answers():
    fill = kinds.get("fill")
    shown = fill.review(FILL, ["四十八", ""], (), reveal=True)
    assert [(b.typed, b.accepted, b.right) for b in shown.blanks] == [
        ("四十八", ("48", "四十八"), True),
        ("", ("概算",), False),
    ]
    withheld = fill.review(FILL, ["四十八", ""], (), reveal=False)
    assert [(b.typed, b.accepted, b.right) for b in withheld.blanks] == [
        ("四十八", (), None),
        ("", (), None),
    ]


# --- the page -------------------------------------------------------------------------------


def test_the_result_shows_the_option_text_chosen_after_shuffling_and_the_key(
    client, login_as, make_exam, make_user
):
    add_question(make_user, CHOICE)
    exam = one_question_exam(make_exam, "single", review_policy="immediately")
    login_as(UserRole.CANDIDATE)
    attempt_id = start(client, exam)
    question = shown_paper(client, attempt_id)
    wrong = OPTIONS[1]
    answer(client, attempt_id, question, letter_of(question, wrong))
    result = submit(client, attempt_id)

    page = client.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    (item,) = review_items(page)
    assert "单选题" in item  # the kind's label
    options = option_items(item)
    # The options in the order the candidate saw them, with the letters they saw.
    for shown, html in zip(question["options"], options, strict=True):
        assert f"<b>{shown['letter']}.</b> {shown['text']}" in html
    (chosen,) = [o for o in options if "is-chosen" in o]
    assert wrong in chosen and "is-wrong" in chosen and "您的选择，错误" in chosen and "✗" in chosen
    (key,) = [o for o in options if "is-key" in o]
    assert OPTIONS[3] in key and "正确答案" in key
    assert "安全设备须经常性维护、保养。" in item and "《安全生产法》第三十六条" in item
    assert "得 0 分（共 10 分）" in item
    # The API says the same in the letters shown.
    (row,) = result["review"]
    assert row["your_answer"] == letter_of(question, wrong)
    assert row["right_answer"] == letter_of(question, OPTIONS[3])
    assert [o["text"] for o in row["options"]] == [o["text"] for o in question["options"]]


def test_fill_in_answers_are_shown_as_typed_and_the_accepted_answers_as_a_list(
    client, login_as, make_exam, make_user
):
    add_question(make_user, FILL)
    exam = one_question_exam(make_exam, "fill", review_policy="immediately")
    login_as(UserRole.CANDIDATE)
    attempt_id = start(client, exam)
    answer(client, attempt_id, shown_paper(client, attempt_id), ["48", "预算"])
    submit(client, attempt_id)

    page = client.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    (item,) = review_items(page)
    assert "填空题" in item
    typed = re.findall(r'class="review-typed[^"]*">([^<]*)<', item)
    assert typed == ["48", "预算"]  # one per blank, as typed: never "4|8"
    accepted = [
        text_of(a) for a in re.findall(r'class="review-accepted[^"]*">(.*?)</div>', item, re.S)
    ]
    assert accepted == ["可接受的答案：48 或 四十八", "可接受的答案：概算"]
    assert "本空正确" in item and "本空错误" in item
    assert "|" not in item


def _withheld(page: str) -> None:
    """Nothing of the key, the explanations or the marks per question is on the page."""
    for secret in (
        "is-key",
        "review-key",
        "review-accepted",
        "安全设备须经常性维护、保养。",
        "第三十六条",
        "秘密解析",
        "填空解析",
        "概算",
        "本空正确",
        "本空错误",
        "review-explanation",
        "得 0 分",
    ):
        assert secret not in page, secret


def test_the_key_is_never_shown_when_the_policy_says_never(client, login_as, make_exam, make_user):
    add_question(make_user, CHOICE)
    exam = one_question_exam(make_exam, "single", review_policy="never")
    login_as(UserRole.CANDIDATE)
    attempt_id = start(client, exam)
    question = shown_paper(client, attempt_id)
    answer(client, attempt_id, question, letter_of(question, OPTIONS[1]))
    assert submit(client, attempt_id)["review"] == []
    exam.closes_at = utcnow() - timedelta(hours=1)  # closed for everybody: still never
    db.session.commit()

    page = client.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    _withheld(page)
    assert "本考试不公布正确答案" in page
    (item,) = review_items(page)
    # The candidate's own answer is theirs to see, marked as theirs only.
    (chosen,) = [o for o in option_items(item) if "is-chosen" in o]
    assert OPTIONS[1] in chosen and "您的选择" in chosen and "is-wrong" not in chosen
    assert client.get(f"/api/v1/attempts/{attempt_id}/result").get_json()["review"] == []
    db.session.expire_all()
    assert db.session.get(Attempt, attempt_id).review_shown_at is None  # may still be reopened


def test_the_key_is_shown_after_close_only_once_the_exam_has_closed(
    client, login_as, make_exam, make_user
):
    add_question(make_user, FILL)
    exam = one_question_exam(make_exam, "fill", review_policy="after_close")
    login_as(UserRole.CANDIDATE)
    attempt_id = start(client, exam)
    answer(client, attempt_id, shown_paper(client, attempt_id), ["四十八", ""])
    assert submit(client, attempt_id)["review"] == []

    page = client.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    _withheld(page)
    assert "考试结束后" in page
    assert re.findall(r'class="review-typed[^"]*">([^<]*)<', page) == ["四十八", "（未填）"]
    assert client.get(f"/api/v1/attempts/{attempt_id}/result").get_json()["review"] == []
    db.session.expire_all()
    assert db.session.get(Attempt, attempt_id).review_shown_at is None

    db.session.get(Exam, exam.id).closes_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    page = client.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    assert "可接受的答案：48 或 四十八" in text_of(page)
    assert "填空解析" in page and "本空正确" in page
    db.session.expire_all()
    assert db.session.get(Attempt, attempt_id).review_shown_at is not None


def test_a_passing_result_links_to_its_certificate(client, login_as, make_exam, make_user):
    add_question(make_user, CHOICE)
    exam = one_question_exam(make_exam, "single", review_policy="immediately")
    login_as(UserRole.CANDIDATE)
    attempt_id = start(client, exam)
    question = shown_paper(client, attempt_id)
    answer(client, attempt_id, question, letter_of(question, OPTIONS[3]))
    assert submit(client, attempt_id)["passed"] is True

    certificate = db.session.scalar(
        db.select(certificates.Certificate).where(certificates.Certificate.attempt_id == attempt_id)
    )
    page = client.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    assert f'href="/certificates#certificate-{certificate.id}"' in page
    assert "您的合格证明" in page and certificate.number in page
    (chosen,) = [o for o in option_items(review_items(page)[0]) if "is-chosen" in o]
    assert "is-key" in chosen and "✓" in chosen and "您的选择，正确" in chosen

    # A revoked certificate is no longer offered.
    certificates.revoke(certificate, make_user(UserRole.ADMIN), "测试", utcnow())
    db.session.commit()
    page = client.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    assert "/certificates#certificate-" not in page and "result-link" not in page


def test_a_failed_result_offers_no_certificate(client, login_as, make_exam, make_user):
    add_question(make_user, CHOICE)
    exam = one_question_exam(make_exam, "single", review_policy="immediately")
    login_as(UserRole.CANDIDATE)
    attempt_id = start(client, exam)
    submit(client, attempt_id)  # nothing answered
    page = client.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    assert "result-link" not in page and "未作答" in page

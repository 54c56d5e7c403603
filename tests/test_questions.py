"""The question bank in the web app: lifecycle, versions, review, preview, counts, topics."""

import pytest

from exam.audit.models import AuditEntry
from exam.auth.models import UserRole
from exam.core.extensions import db
from exam.questions import services
from exam.questions.models import PracticeAnswer, Question, QuestionStatus, Topic
from question_bank.model import QuestionData


def _topic(code="G1"):
    return db.session.scalar(db.select(Topic).where(Topic.code == code))


def _form(**overrides):
    data = {
        "kind": "single",
        "stem": "生产经营单位的主要负责人是本单位安全生产（　）。",
        "options": "第一责任人\n直接责任人\n监督人\n协助人",
        "answer": "A",
        "explanation": "《安全生产法》第五条。",
        "legal_source": "《中华人民共和国安全生产法》第五条",
        "difficulty": "easy",
        "usage": "both",
        "topics": [_topic().id],
    }
    data.update(overrides)
    return data


@pytest.fixture
def make_question(app, make_user):
    def make(status=QuestionStatus.ACTIVE, usage="both", topic="G1", **fields):
        author = make_user(UserRole.ORGANISER)
        values = {
            "kind": "single",
            "stem": "主要负责人是（　）。",
            "options": ("第一责任人", "监督人"),
            "answer": "A",
            "explanation": "第五条规定。",
            "usage": usage,
            **fields,
        }
        question = services.create_question(QuestionData(**values), [_topic(topic)], [], author)
        question.status = status
        db.session.commit()
        return question

    return make


def test_editor_adds_a_question_as_a_draft_with_its_first_version(client, login_as):
    editor = login_as(UserRole.ORGANISER)
    response = client.post("/questions/new", data=_form())
    assert response.status_code == 302
    question = db.session.scalar(db.select(Question))
    assert question.status == QuestionStatus.DRAFT and question.current.number == 1
    assert question.current.created_by_id == editor.id and question.topics[0].code == "G1"
    assert db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "question.create"))


def test_a_bad_question_is_explained_and_what_was_typed_kept(client, login_as):
    login_as(UserRole.ORGANISER)
    response = client.post("/questions/new", data=_form(answer="E", stem="一道保留的题"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "一道保留的题" in page
    assert "不存在" in page  # the answer names an option that does not exist, in Chinese
    assert db.session.scalar(db.select(db.func.count(Question.id))) == 0


def test_scripts_in_rich_text_never_reach_the_page(client, login_as):
    login_as(UserRole.ORGANISER)
    client.post(
        "/questions/new",
        data=_form(stem="<b>粗体</b><script>alert(1)</script><img src=x onerror=alert(2)>"),
    )
    question = db.session.scalar(db.select(Question))
    assert question.current.stem == "<b>粗体</b>"
    page = client.get(f"/questions/{question.id}/preview").get_data(as_text=True)
    assert "<b>粗体</b>" in page and "alert(" not in page


def test_review_needs_a_second_person(app, client, login_as, make_user):
    author = login_as(UserRole.ORGANISER)
    client.post("/questions/new", data=_form())
    question = db.session.scalar(db.select(Question))
    assert client.post(f"/questions/{question.id}/approve").status_code == 302
    assert db.session.get(Question, question.id).status == QuestionStatus.DRAFT  # own: refused
    assert client.post(f"/questions/{question.id}/activate").status_code == 302
    assert (
        db.session.get(Question, question.id).status == QuestionStatus.DRAFT
    )  # needs review first

    reviewer = make_user(UserRole.ADMIN)
    other = app.test_client()
    other.post("/login", data={"login": reviewer.username, "password": "Test-pass-2026"})
    other.post(f"/questions/{question.id}/approve")
    question = db.session.get(Question, question.id)
    assert (
        question.status == QuestionStatus.REVIEWED
        and question.current.reviewed_by_id == reviewer.id
    )
    client.post(f"/questions/{question.id}/activate")  # the author may put it into use now
    assert db.session.get(Question, question.id).status == QuestionStatus.ACTIVE
    actions = [
        e.action
        for e in db.session.scalars(
            db.select(AuditEntry)
            .where(AuditEntry.object_type == "question")
            .order_by(AuditEntry.id)
        )
    ]
    assert actions == ["question.create", "question.approve", "question.activate"]
    assert author.id != reviewer.id


def test_with_review_off_a_draft_goes_straight_into_use(app, client, login_as):
    app.config["QUESTION_REVIEW"] = False
    login_as(UserRole.ORGANISER)
    client.post("/questions/new", data=_form())
    question = db.session.scalar(db.select(Question))
    client.post(f"/questions/{question.id}/activate")
    assert db.session.get(Question, question.id).status == QuestionStatus.ACTIVE


def test_editing_an_active_question_makes_a_new_version_and_keeps_the_old(
    client, login_as, make_question, make_user
):
    question = make_question()
    first = question.current
    candidate = make_user(UserRole.CANDIDATE)
    db.session.add(
        PracticeAnswer(user_id=candidate.id, version_id=first.id, response="A", correct=True)
    )
    db.session.commit()
    login_as(UserRole.ORGANISER)
    client.post(
        f"/questions/{question.id}/edit", data=_form(stem="主要负责人对本单位安全生产工作（　）。")
    )
    question = db.session.get(Question, question.id)
    assert [v.number for v in question.versions] == [2, 1]
    assert question.current.stem.startswith("主要负责人对")
    assert question.status == QuestionStatus.DRAFT  # review is on: back to review
    answer = db.session.scalar(db.select(PracticeAnswer))
    assert answer.version.number == 1 and answer.version.stem == "主要负责人是（　）。"
    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "question.update"))
    assert "stem" in entry.changes and entry.changes["status"] == ["active", "draft"]


def test_changing_only_topics_or_usage_makes_no_new_version(client, login_as, make_question):
    question = make_question()
    login_as(UserRole.ORGANISER)
    v = question.current
    client.post(
        f"/questions/{question.id}/edit",
        data=_form(
            kind=v.kind,
            stem=v.stem,
            options="\n".join(v.options),
            answer=v.answer,
            explanation=v.explanation,
            legal_source=v.legal_source,
            difficulty=v.difficulty,
            usage="practice",
            topics=[_topic("G3").id],
        ),
    )
    question = db.session.get(Question, question.id)
    assert len(question.versions) == 1 and question.usage == "practice"
    assert [t.code for t in question.topics] == ["G3"] and question.status == QuestionStatus.ACTIVE


def test_preview_shows_the_question_but_never_the_answer(client, login_as, make_question):
    question = make_question(
        kind="fill",
        stem="坚持____的方针。",
        options=(),
        answer=[["安全第一"]],
        explanation="第三条：秘密的解析",
    )
    login_as(UserRole.ORGANISER)
    page = client.get(f"/questions/{question.id}/preview").get_data(as_text=True)
    assert "坚持____的方针" in page
    assert "安全第一" not in page and "秘密的解析" not in page


def test_counts_by_topic_kind_and_difficulty(client, login_as, make_question):
    make_question(difficulty="easy")
    make_question(difficulty="easy")
    make_question(difficulty="hard", topic="G2")
    make_question(status=QuestionStatus.DRAFT)  # not in use: not counted
    make_question(usage="practice")  # practice only: not for papers
    assert services.counts()[(_topic("G1").id, "single", "easy")] == 2
    login_as(UserRole.ORGANISER)
    table = client.get("/questions/counts").get_data(as_text=True).split('id="counts-table"')[1]
    g1_row = table.split("抓教育培训")[1].split("</tr>")[0]
    assert '<td class="">2</td>' in g1_row


def test_filters_find_questions(client, login_as, make_question):
    make_question(stem="关于应急预案的题")
    make_question(stem="关于培训的题", difficulty="hard", topic="G7")
    login_as(UserRole.ORGANISER)
    page = client.get("/questions/", query_string={"topic": _topic("G7").id}).get_data(as_text=True)
    assert "关于培训的题" in page and "关于应急预案的题" not in page
    page = client.get("/questions/", query_string={"q": "应急预案"}).get_data(as_text=True)
    assert "关于应急预案的题" in page and "关于培训的题" not in page
    page = client.get(
        "/questions/", query_string={"difficulty": "hard", "kind": "single", "status": "active"}
    ).get_data(as_text=True)
    assert "关于培训的题" in page and "关于应急预案的题" not in page


def test_admin_grows_the_topic_tree_and_codes_stay_unique(client, login_as):
    login_as(UserRole.ADMIN)
    g1 = _topic("G1")
    assert (
        client.post(
            f"/questions/topics/{g1.id}/new", data={"name": "警示教育", "code": "g1.1"}
        ).status_code
        == 302
    )
    measure = _topic("G1.1")
    assert measure.level == "measure" and measure.parent_id == g1.id
    client.post(
        f"/questions/topics/{measure.id}/new", data={"name": "警示教育片", "code": "G1.1.1"}
    )
    point = _topic("G1.1.1")
    assert point.level == "point" and point.path == "抓教育培训 › 警示教育 › 警示教育片"
    assert client.get(f"/questions/topics/{point.id}/new").status_code == 404  # points are leaves
    clash = client.post(f"/questions/topics/{g1.id}/new", data={"name": "重复", "code": "G1.1"})
    assert (
        clash.status_code == 200
        and db.session.scalar(db.select(db.func.count(Topic.id)).where(Topic.name == "重复")) == 0
    )


def test_organisers_cannot_change_the_topic_tree(client, login_as):
    login_as(UserRole.ORGANISER)
    assert client.get(f"/questions/topics/{_topic().id}/new").status_code == 403


def test_candidates_and_contacts_cannot_open_the_bank(client, login_as):
    for role in (UserRole.CANDIDATE, UserRole.CONTACT):
        client.post("/logout")
        login_as(role)
        for url in (
            "/questions/",
            "/questions/new",
            "/questions/counts",
            "/questions/import",
            "/questions/export.xlsx",
        ):
            assert client.get(url).status_code == 403, (role, url)


def test_bulk_approval_skips_ones_own_questions(app, client, login_as, make_question):
    theirs = make_question(status=QuestionStatus.DRAFT)
    login_as(UserRole.ADMIN)
    client.post("/questions/new", data=_form())
    mine = db.session.scalar(db.select(Question).order_by(Question.id.desc()))
    client.post("/questions/bulk", data={"action": "approve", "ids": [theirs.id, mine.id]})
    assert db.session.get(Question, theirs.id).status == QuestionStatus.REVIEWED
    assert db.session.get(Question, mine.id).status == QuestionStatus.DRAFT


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f"
    b"\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00"
    b"IEND\xaeB`\x82"
)


def test_pictures_are_uploaded_checked_by_content_and_served_to_logged_in_users(
    app, client, login_as
):
    import io

    login_as(UserRole.ORGANISER)
    fake = client.post(
        "/questions/media",
        data={"image": (io.BytesIO(b"<svg onload=alert(1)>"), "x.png")},
        content_type="multipart/form-data",
    )
    assert fake.status_code == 422
    response = client.post(
        "/questions/media",
        data={"image": (io.BytesIO(PNG), "图.png")},
        content_type="multipart/form-data",
    )
    url = response.get_json()["url"]
    assert (
        response.status_code == 200 and url.startswith("/questions/media/") and url.endswith(".png")
    )
    client.post("/questions/new", data=_form(stem=f'看图回答：<img src="{url}" alt="">'))
    question = db.session.scalar(db.select(Question))
    assert f'<img src="{url}"' in question.current.stem  # the bank's own pictures are kept
    served = client.get(url)
    assert served.status_code == 200 and served.mimetype == "image/png" and served.data == PNG
    client.post("/logout")
    assert client.get(url).status_code == 302  # not for anonymous visitors


def test_approval_is_refused_when_the_question_changed_since_it_was_opened(
    app, client, login_as, make_question
):
    question = make_question(status=QuestionStatus.DRAFT)
    login_as(UserRole.ADMIN)
    shown = question.current.number
    services.update_question(
        question,
        QuestionData(kind="single", stem="作者刚改过的题", options=("甲", "乙"), answer="B"),
        question.topics,
        [],
        question.current.created_by,
    )
    db.session.commit()
    client.post(f"/questions/{question.id}/approve", data={"version": shown})
    assert db.session.get(Question, question.id).status == QuestionStatus.DRAFT
    client.post("/questions/bulk", data={"action": "approve", "ids": [f"{question.id}:{shown}"]})
    assert db.session.get(Question, question.id).status == QuestionStatus.DRAFT
    client.post(f"/questions/{question.id}/approve", data={"version": shown + 1})
    assert db.session.get(Question, question.id).status == QuestionStatus.REVIEWED


def test_odd_ids_in_bulk_and_filters_are_ignored(client, login_as, make_question):
    make_question(stem="某题")
    login_as(UserRole.ADMIN)
    response = client.post(
        "/questions/bulk", data={"action": "approve", "ids": ["²", "99999999999999999999:1", "x:y"]}
    )
    assert response.status_code == 302
    assert "某题" not in client.get("/questions/?topic=99999999999").get_data(as_text=True)
    assert "某题" not in client.get("/questions/?topic=99999").get_data(as_text=True)


def test_control_characters_never_break_the_export(client, login_as, make_question):
    make_question(stem="题\x01干", legal_source="依据\x02")
    login_as(UserRole.ORGANISER)
    assert client.get("/questions/export.xlsx").status_code == 200
    assert client.get("/questions/export.xml").status_code == 200


def test_every_question_made_in_anpei_gets_a_key_for_re_imports(client, login_as):
    login_as(UserRole.ORGANISER)
    client.post("/questions/new", data=_form())
    question = db.session.scalar(db.select(Question))
    assert question.external_key == f"anpei-{question.id}"

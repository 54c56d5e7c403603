"""The graded questions of each attempt as rows (``attempt_item``): written by grading, kept in
step when a question is regraded or an attempt reopened, filled by migration 0012's backfill
exactly as grading writes them, answers mapped back to the options as written."""

from __future__ import annotations

from sqlalchemy import delete, event, select

from exam.auth.models import User, UserRole
from exam.core.extensions import db
from exam.core.timeutil import utcnow
from exam.exams import examday, services
from exam.exams.attempt_items import answer_text, backfill, chosen_options
from exam.exams.models import Attempt, AttemptItem
from exam.questions import services as bank
from exam.questions.models import Question
from exam.reports.queries import items
from question_bank.model import QuestionData

REVERSED = [3, 2, 1, 0]  # the paper shows the options as written backwards


def _rows(attempt_id: int) -> dict[int, tuple[float, float, str | None]]:
    return {
        r.question_id: (r.score, r.points, r.answer)
        for r in db.session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == attempt_id))
    }


def _all_rows() -> list[tuple]:
    return sorted(
        (r.attempt_id, r.question_id, r.score, r.points, r.answer)
        for r in db.session.scalars(select(AttemptItem))
    )


def _from_result(attempt: Attempt) -> dict[int, tuple[float, float]]:
    return {i["question_id"]: (i["score"], i["points"]) for i in attempt.result["items"]}


def _shown(original: str, order: list[int]) -> str:
    """The letters clicked on a paper showing the options in ``order`` to choose ``original``."""
    if not order:
        return original
    return "".join(sorted("ABCD"[order.index("ABCD".index(c))] for c in original))


def _sit(exam, candidate, answers, *, reverse: bool = True) -> Attempt:
    """Start, answer (kind -> answer as written, None: leave it) and submit."""
    attempt = services.start_attempt(exam, candidate, utcnow())
    if reverse:  # a known shuffle (the drawn one may happen to be the identity)
        attempt.paper = [
            dict(i, option_order=REVERSED) if i["kind"] in ("single", "multiple") else i
            for i in attempt.paper
        ]
        db.session.flush()
    for seq, item in enumerate(attempt.paper, start=1):
        answer = answers.get(item["kind"])
        if answer is None:
            continue
        if item["kind"] in ("single", "multiple"):
            answer = _shown(answer, item["option_order"])
        services.save_answer(attempt, item["question_id"], answer, seq, utcnow())
    services.submit(attempt, utcnow())
    db.session.commit()
    return attempt


RIGHT = {"single": "C", "multiple": "ABD", "truefalse": False, "fill": ["安全第一"]}
WRONG = {"single": "A", "multiple": "AC", "truefalse": True}  # fill left unanswered


def test_answer_text_maps_the_letters_back_and_groups_alike_answers():
    assert answer_text("single", "B", REVERSED) == "C"
    assert answer_text("multiple", "ACD", REVERSED) == "ABD"
    assert answer_text("multiple", "db", []) == "BD"  # no shuffle: as given, in order
    assert answer_text("truefalse", False, []) == "false"
    assert answer_text("fill", ["安全第一"], []) == ""  # answered; the text is not kept
    assert answer_text("single", None, REVERSED) is None
    assert answer_text("single", 3, REVERSED) == ""  # answered, but of no usable shape
    assert chosen_options("ABD") == [0, 1, 3] and chosen_options("true") == [True]
    assert chosen_options("") == []


def test_submitting_writes_the_result_items_with_the_answers_as_written(make_exam, make_user):
    attempt = _sit(make_exam(), make_user(UserRole.CANDIDATE), RIGHT)
    rows = _rows(attempt.id)
    assert {q: (s, p) for q, (s, p, _a) in rows.items()} == _from_result(attempt)
    kinds = {i["question_id"]: i["kind"] for i in attempt.paper}
    # Every candidate clicked other letters than the key's (the options were shown backwards);
    # the rows hold the key's letters.
    assert {kinds[q]: a for q, (_s, _p, a) in rows.items()} == {
        "single": "C",
        "multiple": "ABD",
        "truefalse": "false",
        "fill": "",
    }
    assert attempt.score == 100


def test_unanswered_questions_have_no_answer(make_exam, make_user):
    attempt = _sit(make_exam(), make_user(UserRole.CANDIDATE), WRONG)
    rows = _rows(attempt.id)
    assert {q: (s, p) for q, (s, p, _a) in rows.items()} == _from_result(attempt)
    kinds = {i["question_id"]: i["kind"] for i in attempt.paper}
    assert {kinds[q]: a for q, (_s, _p, a) in rows.items()} == {
        "single": "A",
        "multiple": "AC",
        "truefalse": "true",
        "fill": None,
    }
    assert attempt.score == 0


def test_a_shuffled_choice_of_the_key_counts_on_the_keys_letter(make_exam, make_user):
    exam = make_exam(rules=[{"count": 1, "kind": "single", "points": 100}])
    attempt = _sit(exam, make_user(UserRole.CANDIDATE), RIGHT)
    clicked = services.saved_answers(attempt)[attempt.paper[0]["question_id"]][0]
    assert clicked == "B"  # the key C, shown second
    admin = db.session.scalar(select(User).where(User.role == UserRole.ADMIN)) or make_user(
        UserRole.ADMIN
    )
    (stats,) = items.exam_items(admin, exam.id)
    assert [(o.label, o.count, o.is_key) for o in stats.options] == [
        ("A", 0, False),
        ("B", 0, False),
        ("C", 1, True),
        ("D", 0, False),
    ]
    assert stats.answered == 1 and stats.facility == 1.0


def test_regrading_a_question_rewrites_only_the_attempts_that_had_it(make_exam, make_user):
    candidate, other = make_user(UserRole.CANDIDATE), make_user(UserRole.CANDIDATE)
    attempt = _sit(make_exam(), candidate, WRONG)  # true/false answered True; the key is False
    without = _sit(make_exam(rules=[{"count": 2, "kind": "single", "points": 50}]), other, RIGHT)
    item = next(i for i in attempt.paper if i["kind"] == "truefalse")
    question = db.session.get(Question, item["question_id"])
    bank.update_question(
        question,
        QuestionData(kind="truefalse", stem=question.current.stem, answer=True),
        question.topics,
        [],
        make_user(UserRole.ORGANISER),
    )
    admin = make_user(UserRole.ADMIN)
    db.session.commit()
    attempt_id, without_id, question_id, admin_id = attempt.id, without.id, question.id, admin.id
    db.session.expunge_all()  # every attempt the regrade reads is loaded afresh
    question, admin = db.session.get(Question, question_id), db.session.get(User, admin_id)
    loaded = []

    def on_load(target, _context):
        loaded.append(target.id)

    event.listen(Attempt, "load", on_load)
    try:
        changed = services.regrade_question(question, admin)
    finally:
        event.remove(Attempt, "load", on_load)
    db.session.commit()
    assert [a for a, _old, _new in changed] == [attempt_id]
    # Found through attempt_item, not by reading every submitted attempt.
    assert loaded == [attempt_id] and without_id not in loaded
    db.session.expire_all()
    regraded = db.session.get(Attempt, attempt_id)
    rows = _rows(attempt_id)
    assert {q: (s, p) for q, (s, p, _a) in rows.items()} == _from_result(regraded)
    assert rows[question_id] == (item["points"], item["points"], "true")


def test_reopening_removes_the_rows_and_submitting_again_writes_the_new_answers(
    make_exam, make_user
):
    attempt = _sit(make_exam(), make_user(UserRole.CANDIDATE), WRONG)
    examday.reopen(attempt, 10, make_user(UserRole.ORGANISER), "停电", utcnow())
    db.session.commit()
    assert _rows(attempt.id) == {}
    single = next(i for i in attempt.paper if i["kind"] == "single")
    services.save_answer(
        attempt, single["question_id"], _shown("C", single["option_order"]), 100, utcnow()
    )
    services.submit(attempt, utcnow())
    db.session.commit()
    rows = _rows(attempt.id)
    assert {q: (s, p) for q, (s, p, _a) in rows.items()} == _from_result(attempt)
    assert rows[single["question_id"]] == (single["points"], single["points"], "C")


def test_a_cancelled_attempt_keeps_its_rows_but_is_not_counted(make_exam, make_user):
    exam = make_exam()
    kept = _sit(exam, make_user(UserRole.CANDIDATE), RIGHT)
    cheat = _sit(exam, make_user(UserRole.CANDIDATE), WRONG)
    examday.cancel(cheat, make_user(UserRole.ORGANISER), "替考", utcnow())
    db.session.commit()
    assert {q: (s, p) for q, (s, p, _a) in _rows(cheat.id).items()} == _from_result(cheat)
    stats = items.exam_items(make_user(UserRole.ADMIN), exam.id)
    assert {s.candidates for s in stats} == {1} and {s.facility for s in stats} == {1.0}
    assert _rows(kept.id)


def _several_attempts(make_exam, make_user) -> list[Attempt]:
    """Attempts of every sort: shuffled and not, right, wrong, cleared, unsubmitted, reopened."""
    exam, plain = make_exam(), make_exam()
    plain.blueprint = dict(plain.blueprint, shuffle_options=False)
    db.session.commit()
    done = [
        _sit(exam, make_user(UserRole.CANDIDATE), RIGHT),
        _sit(exam, make_user(UserRole.CANDIDATE), WRONG),
        _sit(plain, make_user(UserRole.CANDIDATE), RIGHT, reverse=False),
        _sit(
            exam,
            make_user(UserRole.CANDIDATE),
            {"single": "D", "multiple": "ABCD", "fill": ["不知道"]},
        ),
    ]
    cleared = services.start_attempt(exam, make_user(UserRole.CANDIDATE), utcnow())
    single = next(i for i in cleared.paper if i["kind"] == "single")
    services.save_answer(cleared, single["question_id"], "A", 1, utcnow())
    services.save_answer(cleared, single["question_id"], None, 2, utcnow())  # cleared again
    services.submit(cleared, utcnow())
    services.start_attempt(exam, make_user(UserRole.CANDIDATE), utcnow())  # under way: no rows
    reopened = _sit(exam, make_user(UserRole.CANDIDATE), RIGHT)
    examday.reopen(reopened, 10, make_user(UserRole.ORGANISER), "停电", utcnow())
    db.session.commit()
    return [*done, cleared]


def test_the_backfill_writes_what_grading_writes(make_exam, make_user):
    attempts = _several_attempts(make_exam, make_user)
    # A result whose items are not in the paper's order (the app writes them in order; the
    # backfill must not rely on it).
    attempts[0].result = dict(attempts[0].result, items=list(reversed(attempts[0].result["items"])))
    db.session.commit()
    graded = _all_rows()
    assert {a for a, *_rest in graded} == {a.id for a in attempts}
    assert any(answer is None for *_rest, answer in graded)
    db.session.execute(delete(AttemptItem))
    assert backfill(db.session.connection()) == len(graded)
    db.session.commit()
    assert _all_rows() == graded
    # And for some attempts only.
    db.session.execute(delete(AttemptItem).where(AttemptItem.attempt_id == attempts[1].id))
    assert backfill(db.session.connection(), [attempts[1].id]) == 10
    assert _all_rows() == graded


def test_the_migration_fills_the_table_from_the_attempts_graded_before(app, make_exam, make_user):
    from flask_migrate import downgrade, upgrade

    _several_attempts(make_exam, make_user)
    graded = _all_rows()
    db.session.remove()
    downgrade(revision="0011")
    upgrade()  # to the head again: the tests after this one share the database
    assert _all_rows() == graded

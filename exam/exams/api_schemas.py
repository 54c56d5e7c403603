"""The exam API's request and response bodies, as its OpenAPI document declares them (the
errors: ``exam.exams.api_errors``)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from question_bank.kinds import MAX_BLANK_CHARS, MAX_BLANKS
from question_bank.model import LETTERS, MAX_OPTIONS


class LoginIn(Schema):
    login = fields.String(required=True, metadata={"description": "ID number, mobile or username"})
    password = fields.String(required=True)


class MeOut(Schema):
    id = fields.Integer()
    name = fields.String()
    role = fields.String()
    must_change_password = fields.Boolean()
    csrf_token = fields.String(metadata={"description": "send as the X-CSRFToken header on writes"})


class ExamOut(Schema):
    id = fields.Integer()
    title = fields.String()
    status = fields.String(metadata={"description": "upcoming, open or closed (from the clock)"})
    opens_at = fields.DateTime()
    closes_at = fields.DateTime()
    duration_minutes = fields.Integer()
    total_points = fields.Float(
        metadata={"description": "what the paper is out of (100 unless confirmed otherwise)"}
    )
    pass_mark = fields.Float(metadata={"description": "points needed to pass, out of total_points"})
    attempts_allowed = fields.Integer()
    attempts_used = fields.Integer()
    open_attempt_id = fields.Integer(allow_none=True)
    access_code_required = fields.Boolean(
        metadata={"description": "type the code shown in the exam room to start"}
    )
    makeup = fields.Boolean(metadata={"description": "a makeup exam (补考)"})


class AttemptStartOut(Schema):
    attempt_id = fields.Integer()
    url = fields.String()


class AnswerIn(Schema):
    answer = fields.Raw(
        required=True,
        allow_none=True,
        metadata={
            "description": 'single: "B"; multiple: "ABD"; true/false: true or false; '
            'fill: ["text of blank 1", ...]; null clears the answer',
            # The shapes question_bank.kinds accepts (the question decides which: bad_answer).
            "anyOf": [
                {"type": "string", "pattern": f"^[{LETTERS}]{{1,{MAX_OPTIONS}}}$"},
                {"type": "boolean"},
                {
                    "type": "array",
                    "items": {"type": "string", "maxLength": MAX_BLANK_CHARS},
                    "maxItems": MAX_BLANKS,
                },
            ],
        },
    )
    seq = fields.Integer(
        required=True,
        validate=validate.Range(0, 2**31 - 1),
        metadata={
            "description": "increases with every change on the page; an older save never overwrites a newer"
        },
    )


class AnswerOut(Schema):
    stored = fields.Boolean(
        metadata={"description": "false when a newer answer was already stored"}
    )
    seq = fields.Integer()
    server_time = fields.DateTime()


class OptionOut(Schema):
    letter = fields.String()
    text = fields.String(metadata={"description": "sanitised HTML"})


class QuestionOut(Schema):
    number = fields.Integer()
    question_id = fields.Integer()
    kind = fields.String(metadata={"description": "single, multiple, truefalse or fill"})
    stem = fields.String(metadata={"description": "sanitised HTML"})
    points = fields.Float()
    blanks = fields.Integer(metadata={"description": "fill: how many blanks"})
    options = fields.List(fields.Nested(OptionOut), metadata={"description": "in the order shown"})


class PaperPageOut(Schema):
    exam_id = fields.Integer()
    title = fields.String()
    total_points = fields.Float()
    one_question_per_page = fields.Boolean()
    questions = fields.List(fields.Nested(QuestionOut))


class SavedOut(Schema):
    answer = fields.Raw(allow_none=True, metadata={"description": "as saved (see AnswerIn)"})
    seq = fields.Integer()


class PaperOut(Schema):
    attempt_id = fields.Integer()
    deadline = fields.DateTime()
    server_time = fields.DateTime()
    submitted = fields.Boolean()
    answers = fields.Dict(
        keys=fields.String(metadata={"description": "question_id"}),
        values=fields.Nested(SavedOut),
    )
    paper = fields.Nested(PaperPageOut)


class ResultOut(Schema):
    attempt_id = fields.Integer()
    submitted_at = fields.DateTime()
    auto_submitted = fields.Boolean()
    score = fields.Float()
    total_points = fields.Float()
    pass_mark = fields.Float()
    passed = fields.Boolean()
    cancelled = fields.Boolean(metadata={"description": "the score was cancelled for a violation"})
    by_topic = fields.Dict()
    review = fields.List(
        fields.Dict(),
        metadata={
            "description": "per question, once the exam's review policy lets the key be seen: the "
            "options in the order and with the letters shown (chosen, right), the blanks as typed "
            "with their accepted answers, your answer and the right answer in those letters, the "
            "score, the explanation and the legal source"
        },
    )


class StartIn(Schema):
    access_code = fields.String(
        load_default=None,
        allow_none=True,
        metadata={"description": "the code shown in the exam room, when the exam has one"},
    )


class StatusOut(Schema):
    deadline = fields.DateTime(
        metadata={"description": "may have moved: an organiser can give more time"}
    )
    server_time = fields.DateTime()
    submitted = fields.Boolean()
    focus_losses = fields.Integer()
    csrf_token = fields.String(
        metadata={"description": "heartbeat only: a fresh token for the writes that follow"}
    )


class EventIn(Schema):
    kind = fields.String(
        required=True,
        validate=validate.OneOf(["focus_lost"]),
        metadata={"description": "focus_lost: the page was hidden or left"},
    )

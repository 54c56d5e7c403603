"""The exams feature's refusals: its codes, their messages and the API's HTTP statuses."""

from __future__ import annotations

from flask_babel import gettext as _

from exam.core.errors import AnpeiError, catalogue


class ExamError(AnpeiError):
    """A refused exam action; ``code`` is stable (the API returns it), ``params`` explain."""

    domain = "exams"


catalogue(
    "exams",
    {
        "not_open": lambda **p: _("This exam is not open now."),
        "not_eligible": lambda **p: _("This exam is not for you."),
        "no_attempts_left": lambda **p: _("You have used all your attempts at this exam."),
        "submitted": lambda **p: _(
            "This attempt has been submitted; answers can no longer change."
        ),
        "too_late": lambda **p: _("The time for this attempt is over; the answer was not saved."),
        "unknown_question": lambda **p: _("This question is not on your paper."),
        "bad_answer": lambda **p: _("This answer does not fit the question."),
        "bad_sequence": lambda **p: _("The answer's sequence number is not valid."),
        "device_blocked": lambda **p: _(
            "This attempt is open on another device. Your answers are kept here; "
            "ask the invigilator to allow this device."
        ),
        "network": lambda **p: _("This exam can only be sat from the exam room's network."),
        "access_code": lambda **p: _(
            "The access code is not right. Type the code shown in the exam room."
        ),
        "override_target": lambda **p: _("Choose one person, one enterprise or one town."),
        "override_ends_before_start": lambda **p: _("The window must end after it starts."),
        "override_empty": lambda **p: _("Give another window, extra minutes or extra attempts."),
        "bad_minutes": lambda **p: _("Give between 1 and 1440 minutes."),
        "not_submitted": lambda **p: _("This attempt is still under way."),
        "review_shown": lambda **p: _(
            "The candidate has already seen the right answers of this attempt: it cannot be "
            "reopened. Give an extra attempt with an override instead."
        ),
        "training_required": lambda **p: _(
            "This exam is for those who have done this year's training hours; yours are "
            "not complete yet. See My training."
        ),
        "course_required": lambda **p: _(
            "This exam asks you to complete an online course first; see My courses."
        ),
        "other_open": lambda **p: _("The candidate has another attempt at this exam under way."),
        "cancelled": lambda **p: _("This attempt's score has been cancelled."),
        "makeup_of_makeup": lambda **p: _(
            "A makeup exam has no makeup of its own: whoever fails it goes back to training."
        ),
        "makeup_exists": lambda **p: _("This exam already has its makeup exam."),
        "makeup_before_close": lambda **p: _(
            "The makeup exam can be created once the exam has closed for everybody."
        ),
        "makeup_nobody": lambda **p: _("Everybody passed: nobody needs a makeup exam."),
        "unservable": lambda **p: _(
            "This exam cannot be started now: the question bank does not have enough questions "
            "to draw its paper. Its organisers see this on the exam's page; please ask the "
            "invigilator, or try again later."
        ),
    },
    {
        "not_open": 409,
        "not_eligible": 403,
        "no_attempts_left": 409,
        "submitted": 409,
        "too_late": 409,
        "unknown_question": 404,
        "bad_answer": 422,
        "bad_sequence": 422,
        "device_blocked": 409,
        "network": 403,
        "access_code": 403,
        "bad_minutes": 422,
        "training_required": 403,
        "course_required": 403,
        "not_submitted": 409,
        "cancelled": 409,
        "unservable": 409,
    },
)

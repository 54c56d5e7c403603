"""The learning feature's refusals: its codes, their messages and the HTTP statuses of the
lesson page's reports."""

from __future__ import annotations

from flask_babel import gettext as _

from exam.core.errors import AnpeiError, catalogue


class LearningError(AnpeiError):
    domain = "learning"


catalogue(
    "learning",
    {
        "empty": lambda **p: _("The file is empty."),
        "too_big": lambda **p: _(
            "The file is larger than the %(mb)s MB allowed for a lesson.", **p
        ),
        "not_pdf": lambda **p: _(
            "This file is not a PDF document that can be opened (whatever its name says). "
            "Save it as PDF again and upload that."
        ),
        "not_video": lambda **p: _(
            "This file is not an MP4 or WebM video. Convert it to MP4 (H.264) and upload that."
        ),
        "too_many_pages": lambda **p: _(
            "The document has more than %(limit)s pages; split it into several lessons.", **p
        ),
        "not_assigned": lambda **p: _("This lesson is not among your courses."),
        "bad_position": lambda **p: _(
            "The lesson page sent a position it cannot have; reload the page."
        ),
        "bad_request": lambda **p: _(
            "The lesson page sent something the server does not understand; reload the page."
        ),
    },
    {
        "not_assigned": 404,
        "bad_position": 422,
        "bad_request": 400,
    },
)

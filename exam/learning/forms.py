"""Organisers' forms for courses and lessons, and the sanitiser of a text lesson's page."""

from __future__ import annotations

import html
import re

import nh3
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    DateField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from exam.core.forms import MultiCheckboxField, PlainText
from exam.core.forms import options as choices_of
from exam.learning.models import LessonKind
from exam.people.models import PersonRole
from question_bank.text import strip_controls

#: What a text lesson may hold: headings, paragraphs, lists, emphasis, tables, quotes, links.
LESSON_TAGS = {
    "h2",
    "h3",
    "h4",
    "p",
    "br",
    "hr",
    "b",
    "strong",
    "i",
    "em",
    "u",
    "sub",
    "sup",
    "ul",
    "ol",
    "li",
    "blockquote",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "a",
}
LESSON_ATTRIBUTES = {"a": {"href"}, "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"}}


def lesson_html(text: str) -> str:
    """A text lesson's page as safe HTML. Text typed without tags becomes paragraphs (a blank
    line between them) and line breaks, so organisers need not know HTML."""
    text = strip_controls(text or "").replace("\r\n", "\n").strip()
    if not re.search(r"<[a-zA-Z/][^>]*>", text):
        paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
        text = "".join("<p>" + html.escape(p).replace("\n", "<br>") + "</p>" for p in paragraphs)
    return nh3.clean(
        text,
        tags=LESSON_TAGS,
        attributes=LESSON_ATTRIBUTES,
        url_schemes={"https", "http"},
        link_rel="noopener noreferrer nofollow",
    )


def editable_text(body: str) -> str:
    """A page made only of paragraphs and line breaks back as the plain text it was typed as
    (any other page is edited as its HTML)."""
    if re.search(r"<(?!/?p>|br>)", body or "") or not re.fullmatch(
        r"(<p>.*?</p>)*", body or "", re.S
    ):
        return body or ""
    return "\n\n".join(
        html.unescape(p.replace("<br>", "\n")) for p in re.findall(r"<p>(.*?)</p>", body, re.S)
    )


class CourseForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200), PlainText()])
    description = TextAreaField(
        _l("Description (what it teaches, for whom)"), validators=[Optional(), Length(max=5000)]
    )
    topic_ids = MultiCheckboxField(
        _l("Topics it teaches (weak topics after an exam point here)"), coerce=int
    )
    sector_ids = MultiCheckboxField(_l("Sectors it is about"), coerce=int)
    roles = MultiCheckboxField(
        _l("Assigned to posts (none: all)"), choices=choices_of(PersonRole.choices())
    )
    assign_sector_ids = MultiCheckboxField(_l("Assigned to sectors (none: all)"), coerce=int)
    town_ids = MultiCheckboxField(_l("Assigned to towns/streets (none: all)"), coerce=int)
    enterprise_ids = MultiCheckboxField(_l("Only these enterprises (none: all)"), coerce=int)
    person_logins = TextAreaField(
        _l("Named people: ID number, mobile or name, one per line (always assigned)"),
        validators=[Optional(), Length(max=20000)],
    )
    due_on = DateField(_l("Complete by (optional)"), validators=[Optional()])
    submit = SubmitField(_l("Save"))


class LessonForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200), PlainText()])
    kind = SelectField(_l("Kind of lesson"), choices=choices_of(LessonKind.LABELS.items()))
    minutes = IntegerField(
        _l("Minutes of study it asks for (a video: no more than its length)"),
        default=10,
        validators=[DataRequired(), NumberRange(1, 600)],
    )
    body = TextAreaField(
        _l("Text of the page (a blank line starts a new paragraph; simple HTML is kept)"),
        validators=[Optional(), Length(max=100_000)],
        render_kw={"rows": 14},
    )
    file = FileField(_l("File (PDF, or an MP4/WebM video)"))
    submit = SubmitField(_l("Save"))

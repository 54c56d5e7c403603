"""Forms of the film library, screenings and named attendance."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateTimeLocalField,
    FloatField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from exam.core.forms import MultiCheckboxField, PlainText
from exam.screenings.errors import HEADCOUNT_RANGE
from exam.screenings.models import MAX_FILM_MINUTES, MAX_HEADCOUNT, MAX_HOURS, MAX_LINES


class FilmForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200), PlainText()])
    accident = StringField(
        _l("The accident it shows"),
        validators=[Optional(), Length(max=300), PlainText()],
        description=_l(
            "Its usual name, e.g. 2015年天津港“8·12”瑞海公司危险品仓库特别重大火灾爆炸事故"
        ),
    )
    duration_minutes = IntegerField(
        _l("Duration (minutes)"),
        validators=[
            InputRequired(_l("Enter the duration in minutes.")),
            NumberRange(
                1,
                MAX_FILM_MINUTES,
                _l("A film lasts from 1 to %(max)s minutes.", max=MAX_FILM_MINUTES),
            ),
        ],
    )
    source = StringField(
        _l("Source"),
        validators=[Optional(), Length(max=200), PlainText()],
        description=_l("Who made or distributed it, e.g. 应急管理部宣传教育中心"),
    )
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Save"))


class ScreeningForm(FlaskForm):
    film_ids = MultiCheckboxField(
        _l("Films shown"), coerce=int, validators=[DataRequired(_l("Choose at least one film."))]
    )
    starts_at = DateTimeLocalField(
        _l("Starts (Beijing time)"), validators=[InputRequired(_l("Enter the date and time."))]
    )
    venue = StringField(_l("Venue"), validators=[DataRequired(), Length(max=200), PlainText()])
    organising_unit = StringField(
        _l("Organising unit"), validators=[DataRequired(), Length(max=200), PlainText()]
    )
    audience = StringField(
        _l("Audience"),
        validators=[Optional(), Length(max=300), PlainText()],
        description=_l("e.g. 各镇街、园区企业主要负责人及一线职工"),
    )
    sector_id = SelectField(_l("Sector"), coerce=int, validators=[Optional()])
    town_id = SelectField(_l("Town/street"), coerce=int, validators=[Optional()])
    hours = FloatField(
        _l("Hours credited to each named attendee"),
        default=1.0,
        validators=[
            InputRequired(_l("Enter the hours credited (0 if none).")),
            NumberRange(0, MAX_HOURS, _l("Hours must be from 0 to %(max)s.", max=int(MAX_HOURS))),
        ],
    )
    headcount_cadres = IntegerField(
        _l("Cadres present"),
        validators=[Optional(), NumberRange(0, MAX_HEADCOUNT, HEADCOUNT_RANGE)],
    )
    headcount_workers = IntegerField(
        _l("Workers present"),
        validators=[Optional(), NumberRange(0, MAX_HEADCOUNT, HEADCOUNT_RANGE)],
    )
    submit = SubmitField(_l("Save"))


class AttendanceForm(FlaskForm):
    lines = TextAreaField(
        _l("ID numbers or mobiles, one per line"),
        validators=[
            DataRequired(_l("Enter at least one ID number or mobile.")),
            Length(max=MAX_LINES * 40),
        ],
    )
    submit = SubmitField(_l("Add"))

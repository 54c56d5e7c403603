from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    DateField,
    DateTimeLocalField,
    FloatField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import URL, DataRequired, Length, NumberRange, Optional

from exam.core.forms import MultiCheckboxField, PlainText
from exam.core.forms import options as choices_of
from exam.people.models import PersonRole
from exam.training.models import Mode
from exam.training.services import MAX_SESSION_HOURS


class SessionForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200), PlainText()])
    lecturer = StringField(
        _l("Lecturer / expert"), validators=[Optional(), Length(max=200), PlainText()]
    )
    organising_unit = StringField(
        _l("Organised by"), validators=[Optional(), Length(max=200), PlainText()]
    )
    starts_at = DateTimeLocalField(_l("Starts (Beijing time)"), validators=[DataRequired()])
    ends_at = DateTimeLocalField(_l("Ends (Beijing time)"), validators=[DataRequired()])
    hours = FloatField(
        _l("Training hours credited (学时)"),
        validators=[
            DataRequired(),
            NumberRange(0.5, MAX_SESSION_HOURS, message=_l("Between 0.5 and 40 hours.")),
        ],
    )
    mode = SelectField(_l("Mode"), choices=choices_of(Mode.LABELS.items()))
    venue = StringField(_l("Venue"), validators=[Optional(), Length(max=200), PlainText()])
    link = StringField(
        _l("Link (online)"),
        validators=[
            Optional(),
            Length(max=500),
            URL(message=_l("Give a full web address (https://…).")),
        ],
    )
    capacity = IntegerField(
        _l("Seats (empty: no limit)"), validators=[Optional(), NumberRange(1, 5000)]
    )
    sector_ids = MultiCheckboxField(_l("Sectors (invites their enterprises' people)"), coerce=int)
    topic_codes = MultiCheckboxField(_l("Topics"))
    roles = MultiCheckboxField(
        _l("For posts (none: all)"), choices=choices_of(PersonRole.choices())
    )
    enterprise_ids = MultiCheckboxField(_l("Only these enterprises (none: all)"), coerce=int)
    person_logins = TextAreaField(
        _l("Named people: ID number or mobile, one per line (always invited)"),
        validators=[Optional(), Length(max=20000)],
    )
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])


class ReasonForm(FlaskForm):
    reason = StringField(
        _l("Reason"),
        validators=[
            DataRequired(message=_l("Say why: it goes into the log.")),
            Length(max=500),
            PlainText(),
        ],
    )


class ExternalForm(FlaskForm):
    title = StringField(_l("Training"), validators=[DataRequired(), Length(max=200), PlainText()])
    provider = StringField(
        _l("Given by"), validators=[DataRequired(), Length(max=200), PlainText()]
    )
    held_on = DateField(_l("Date"), validators=[DataRequired()])
    hours = FloatField(
        _l("Hours"),
        validators=[
            DataRequired(),
            NumberRange(0.5, MAX_SESSION_HOURS, message=_l("Between 0.5 and 40 hours.")),
        ],
    )
    evidence = FileField(
        _l("Evidence (PDF or image of the certificate or attendance record)"),
        validators=[FileRequired()],
    )
    submit = SubmitField(_l("Add"))

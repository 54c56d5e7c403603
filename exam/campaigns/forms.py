"""The campaign form and the form adding a round."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from exam.core.forms import MultiCheckboxField, PlainText


class CampaignForm(FlaskForm):
    name = StringField(
        _l("Name (as the report names the exams)"),
        validators=[DataRequired(), Length(max=200), PlainText()],
    )
    year = IntegerField(_l("Year"), validators=[DataRequired(), NumberRange(2000, 2100)])
    period = StringField(
        _l("Part of the year (optional, e.g. first half)"),
        validators=[Optional(), Length(max=50), PlainText()],
    )
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=2000)])
    sector_ids = MultiCheckboxField(_l("For sectors (none: all)"), coerce=int)
    town_ids = MultiCheckboxField(_l("For towns/streets (none: all)"), coerce=int)


class RoundForm(FlaskForm):
    exam_id = SelectField(_l("Exam"), coerce=int, validators=[DataRequired()])

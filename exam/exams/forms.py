from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    FieldList,
    FloatField,
    FormField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from exam.forms import MultiCheckboxField, PlainText
from exam.forms import options as choices_of
from exam.people.models import PersonRole
from exam.questions.forms import DIFFICULTY_LABELS, KIND_LABELS
from question_bank.model import ScoringPolicy

REVIEW_LABELS = {"never": _l("Never"), "after_close": _l("After the exam closes"),
                 "immediately": _l("At once, after submitting")}
SCORING_LABELS = {ScoringPolicy.ALL_OR_NOTHING: _l("All or nothing"),
                  ScoringPolicy.PARTIAL: _l("Partial credit for a correct subset")}


class RuleForm(FlaskForm):
    class Meta:
        csrf = False  # part of the exam form, which carries the token

    count = IntegerField(_l("Questions"), validators=[Optional(), NumberRange(0, 500)])
    kind = SelectField(_l("Kind"), choices=choices_of(KIND_LABELS.items()))
    points = FloatField(_l("Points each"), validators=[Optional(), NumberRange(0, 100)])
    topic = SelectField(_l("Topic"), validators=[Optional()])
    sector = SelectField(_l("Sector"), validators=[Optional()])
    difficulty = SelectField(_l("Difficulty"), validators=[Optional()],
                             choices=choices_of([("", _l("Any")), *DIFFICULTY_LABELS.items()]))


class ExamForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200), PlainText()])
    opens_at = DateTimeLocalField(_l("Opens (Beijing time)"), validators=[DataRequired()])
    closes_at = DateTimeLocalField(_l("Closes (Beijing time)"), validators=[DataRequired()])
    duration_minutes = IntegerField(_l("Duration (minutes)"), default=60,
                                    validators=[DataRequired(), NumberRange(5, 600)])
    pass_mark = FloatField(_l("Pass mark"), default=80, validators=[DataRequired(), NumberRange(0, 1000)])
    attempts_allowed = IntegerField(_l("Attempts allowed"), default=1,
                                    validators=[DataRequired(), NumberRange(1, 10)])
    review_policy = SelectField(_l("Show the answers"), choices=choices_of(REVIEW_LABELS.items()),
                                default="after_close")
    scoring_policy = SelectField(_l("Multiple choice"), choices=choices_of(SCORING_LABELS.items()))
    one_question_per_page = BooleanField(_l("One question per page"))
    shuffle_questions = BooleanField(_l("Shuffle the questions for each candidate"), default=True)
    shuffle_options = BooleanField(_l("Shuffle the options for each candidate"), default=True)
    roles = MultiCheckboxField(_l("For posts (none: all)"), choices=choices_of(PersonRole.choices()))
    sector_ids = MultiCheckboxField(_l("For sectors (none: all)"), coerce=int)
    town_ids = MultiCheckboxField(_l("For towns/streets (none: all)"), coerce=int)
    rules = FieldList(FormField(RuleForm), min_entries=6, max_entries=6)
    submit = SubmitField(_l("Save"))

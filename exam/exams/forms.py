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
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, ValidationError

from exam.core.forms import MultiCheckboxField, PlainText
from exam.core.forms import options as choices_of
from exam.people.models import PersonRole
from exam.questions.forms import DIFFICULTY_LABELS, KIND_LABELS
from question_bank.model import ScoringPolicy

REVIEW_LABELS = {
    "never": _l("Never"),
    "after_close": _l("After the exam closes"),
    "immediately": _l("At once, after submitting"),
}
SCORING_LABELS = {
    ScoringPolicy.ALL_OR_NOTHING: _l("All or nothing"),
    ScoringPolicy.PARTIAL: _l("Partial credit for a correct subset"),
}


#: Rule rows on a new exam's form: one per grip and four more.
RULE_ROWS = 12


class RuleForm(FlaskForm):
    class Meta:
        csrf = False  # part of the exam form, which carries the token

    count = IntegerField(_l("Questions"), validators=[Optional(), NumberRange(0, 500)])
    kind = SelectField(_l("Kind"), choices=lambda: choices_of(KIND_LABELS.items()))
    points = FloatField(_l("Points each"), validators=[Optional(), NumberRange(0, 100)])
    topic = SelectField(_l("Topic"), validators=[Optional()])
    sector = SelectField(_l("Sector"), validators=[Optional()])
    difficulty = SelectField(
        _l("Difficulty"),
        validators=[Optional()],
        choices=choices_of([("", _l("Any")), *DIFFICULTY_LABELS.items()]),
    )


class ExamForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200), PlainText()])
    opens_at = DateTimeLocalField(_l("Opens (Beijing time)"), validators=[DataRequired()])
    closes_at = DateTimeLocalField(_l("Closes (Beijing time)"), validators=[DataRequired()])
    duration_minutes = IntegerField(
        _l("Duration (minutes)"), default=60, validators=[DataRequired(), NumberRange(5, 600)]
    )
    pass_mark = FloatField(
        _l("Pass mark"), default=80, validators=[DataRequired(), NumberRange(0, 1000)]
    )
    attempts_allowed = IntegerField(
        _l("Attempts allowed"), default=1, validators=[DataRequired(), NumberRange(1, 10)]
    )
    review_policy = SelectField(
        _l("Show the answers"), choices=choices_of(REVIEW_LABELS.items()), default="after_close"
    )
    scoring_policy = SelectField(_l("Multiple choice"), choices=choices_of(SCORING_LABELS.items()))
    one_question_per_page = BooleanField(_l("One question per page"))
    shuffle_questions = BooleanField(_l("Shuffle the questions for each candidate"), default=True)
    shuffle_options = BooleanField(_l("Shuffle the options for each candidate"), default=True)
    roles = MultiCheckboxField(
        _l("For posts (none: all)"), choices=choices_of(PersonRole.choices())
    )
    sector_ids = MultiCheckboxField(_l("For sectors (none: all)"), coerce=int)
    town_ids = MultiCheckboxField(_l("For towns/streets (none: all)"), coerce=int)
    #: The page shows ``RULE_ROWS`` rows (a rule per grip and a few more) or one more than the
    #: exam has; a post may have fewer.
    rules = FieldList(FormField(RuleForm), min_entries=6, max_entries=40)
    coverage_per_area = IntegerField(
        _l("At least this many questions from each area (empty: no coverage rule)"),
        validators=[Optional(), NumberRange(1, 50)],
    )
    coverage_areas = MultiCheckboxField(
        _l("From these areas (none ticked: every one of the eight grips)")
    )
    #: Ticked: the paper's total, whatever it is when saved, is what the organiser meant.
    confirm_total = BooleanField(_l("This paper does not total 100 points: I confirm its total"))
    requires_training = BooleanField(
        _l("Only people who have done this year's training hours may sit it")
    )
    prerequisite_course_id = SelectField(
        _l("Course to complete first (online learning)"), coerce=int, default=0
    )
    focus_tracking = BooleanField(
        _l("Record when the exam page loses focus (tab switch, another app, a call)"), default=True
    )
    focus_loss_limit = IntegerField(
        _l(
            "Submit after this many focus losses (empty: never — phones report calls "
            "and notifications as focus loss)"
        ),
        validators=[Optional(), NumberRange(1, 100)],
    )
    one_device = BooleanField(
        _l("One device per attempt (another device needs an organiser's permission)"), default=True
    )
    allowed_networks = TextAreaField(
        _l("Allowed networks, one per line (e.g. 10.8.0.0/16; empty: anywhere)"),
        validators=[Optional(), Length(max=2000)],
    )
    access_code = StringField(
        _l("Access code shown in the exam room (empty: none)"),
        validators=[
            Optional(),
            Length(max=20),
            Regexp(r"^[A-Za-z0-9]*$", message=_l("Letters and digits only.")),
        ],
    )
    submit = SubmitField(_l("Save"))

    def validate_allowed_networks(self, field):
        import ipaddress

        for line in (field.data or "").replace(",", "\n").splitlines():
            try:
                if line.strip():
                    ipaddress.ip_network(line.strip(), strict=False)
            except ValueError:
                raise ValidationError(_l("Not a network: %(line)s", line=line.strip())) from None


class ReasonForm(FlaskForm):
    """An invigilator's action on one attempt: why (always), and minutes where it gives time."""

    minutes = IntegerField(_l("Minutes"), default=10, validators=[Optional(), NumberRange(1, 1440)])
    reason = StringField(
        _l("Reason"),
        validators=[
            DataRequired(message=_l("Say why: it goes into the log.")),
            Length(max=500),
            PlainText(),
        ],
    )


TARGET_LABELS = {
    "person": _l("One person"),
    "enterprise": _l("An enterprise"),
    "town": _l("A town/street"),
}


class OverrideForm(FlaskForm):
    target = SelectField(_l("For"), choices=choices_of(TARGET_LABELS.items()), default="person")
    person_login = StringField(_l("ID number or mobile"), validators=[Optional(), Length(max=30)])
    enterprise_id = SelectField(_l("Enterprise"), coerce=int, validators=[Optional()])
    town_id = SelectField(_l("Town/street"), coerce=int, validators=[Optional()])
    opens_at = DateTimeLocalField(_l("Opens instead (Beijing time)"), validators=[Optional()])
    closes_at = DateTimeLocalField(_l("Closes instead (Beijing time)"), validators=[Optional()])
    extra_minutes = IntegerField(
        _l("Extra minutes"), default=0, validators=[Optional(), NumberRange(0, 600)]
    )
    extra_attempts = IntegerField(
        _l("Extra attempts"), default=0, validators=[Optional(), NumberRange(0, 10)]
    )
    reason = StringField(
        _l("Reason"),
        validators=[
            DataRequired(message=_l("Say why: it goes into the log.")),
            Length(max=500),
            PlainText(),
        ],
    )
    submit = SubmitField(_l("Add"))


class MakeupForm(FlaskForm):
    opens_at = DateTimeLocalField(_l("Opens (Beijing time)"), validators=[DataRequired()])
    closes_at = DateTimeLocalField(_l("Closes (Beijing time)"), validators=[DataRequired()])
    include_cancelled = BooleanField(_l("Also enrol those whose score was cancelled"))
    submit = SubmitField(_l("Create the makeup exam"))

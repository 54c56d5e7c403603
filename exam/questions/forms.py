from collections.abc import Mapping

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from exam.core.forms import MultiCheckboxField, PlainText
from exam.core.forms import options as choices_of
from exam.people.models import PersonRole
from exam.questions.models import USAGE_LABELS
from question_bank import kinds
from question_bank.model import Difficulty, Usage

DIFFICULTY_LABELS = {
    Difficulty.EASY: _l("Easy"),
    Difficulty.MEDIUM: _l("Medium"),
    Difficulty.HARD: _l("Hard"),
}


class _KindLabels(Mapping):
    """Each question kind's name in the interface's language, read from the registry when
    used (a kind registered later is listed too)."""

    def __getitem__(self, code: str):
        return _l(kinds.get(code).english)

    def __iter__(self):
        return iter(list(kinds.KINDS))

    def __len__(self) -> int:
        return len(kinds.KINDS)


KIND_LABELS = _KindLabels()


class QuestionForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=lambda: choices_of(KIND_LABELS.items()))
    stem = TextAreaField(
        _l("Question"),
        validators=[DataRequired(), Length(max=5000)],
        render_kw={"rows": 4},
        description=_l("For a blank, type ____. Bold, lists and line breaks are kept."),
    )
    options = TextAreaField(
        _l("Options, one per line (choice questions)"),
        validators=[Optional(), Length(max=5000)],
        render_kw={"rows": 5},
    )
    answer = StringField(
        _l("Answer"),
        validators=[DataRequired(), Length(max=500)],
        description=_l(
            "A or ABD for choices; 对 or 错; for blanks: 安全第一|安全 第一; "
            "预防为主 (blanks split by ;, accepted variants by |)"
        ),
    )
    explanation = TextAreaField(
        _l("Explanation"), validators=[Optional(), Length(max=5000)], render_kw={"rows": 3}
    )
    legal_source = StringField(
        _l("Legal source (law and article)"), validators=[Optional(), Length(max=300), PlainText()]
    )
    difficulty = SelectField(
        _l("Difficulty"), choices=choices_of(DIFFICULTY_LABELS.items()), default=Difficulty.MEDIUM
    )
    usage = SelectField(_l("Use in"), choices=choices_of(USAGE_LABELS.items()), default=Usage.BOTH)
    topics = MultiCheckboxField(_l("Topics"), coerce=int)
    sectors = MultiCheckboxField(_l("Sectors (none: all sectors)"), coerce=int)
    roles = MultiCheckboxField(
        _l("Suits (none: every post)"), choices=choices_of(PersonRole.choices())
    )
    submit = SubmitField(_l("Save"))


class TopicForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100), PlainText()])
    code = StringField(
        _l("Code"),
        validators=[DataRequired(), Length(max=20)],
        description=_l("Short and stable, used by imports, e.g. G3.2"),
    )
    sort_order = IntegerField(
        _l("Order"), default=0, validators=[Optional(), NumberRange(-9999, 9999)]
    )
    submit = SubmitField(_l("Save"))


class QuestionImportForm(FlaskForm):
    file = FileField(
        _l("File (.xlsx, .csv, .docx, .txt, Moodle XML or GIFT)"),
        validators=[FileRequired(message=_l("Choose a file to import."))],
        render_kw={"accept": ".xlsx,.csv,.docx,.txt,.xml,.gift"},
    )
    format = SelectField(
        _l("Format"),
        default="",
        choices=choices_of(
            [
                ("", _l("Recognise from the file")),
                ("xlsx", _l("Excel/CSV template")),
                ("docx", _l("Word (clerks' layout)")),
                ("text", _l("Plain text (clerks' layout)")),
                ("moodle", "Moodle XML"),
                ("gift", "GIFT"),
            ]
        ),
    )
    submit = SubmitField(_l("Check the file"))


class ImportChoicesForm(FlaskForm):
    """The preview's form: a topic and sector for the whole file, a topic per category, and
    the buttons to update the preview or to import. ``import_choices_form`` adds one select per
    category of the file (``category_0``, ``category_1``… in the order the file names them)."""

    token = HiddenField(validators=[DataRequired(), Length(max=64)])
    topic = SelectField(_l("Topic for the whole file"), coerce=int, default=0)
    sector = SelectField(_l("Sector for the whole file"), coerce=int, default=0)
    apply = SubmitField(_l("Update the preview"))
    submit = SubmitField(_l("Import"))


def import_choices_form(
    categories: list[str], topics: list, sectors: list, **data
) -> ImportChoicesForm:
    """The preview's form for a file with these categories; ``data`` prefills it (unbound)."""

    class Form(ImportChoicesForm):
        pass

    for number, category in enumerate(categories):
        setattr(
            Form,
            f"category_{number}",
            SelectField(
                category,
                coerce=int,
                default=0,
                choices=choices_of([(0, _l("— choose a topic —")), *topics]),
            ),
        )
    form = Form(formdata=None, **data) if data else Form()
    form.topic.choices = choices_of([(0, _l("— none: each category’s own —")), *topics])
    form.sector.choices = choices_of(
        [(0, _l("— as the file says (none: all sectors) —")), *sectors]
    )
    form.category_fields = [form[f"category_{n}"] for n in range(len(categories))]
    return form


class PracticeAnswerForm(FlaskForm):
    question_id = HiddenField(validators=[DataRequired()])
    version_id = HiddenField(validators=[DataRequired()])
    mode = HiddenField()

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, HiddenField, IntegerField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from exam.core.forms import CreditCode, IdNumber, Mobile, MultiCheckboxField, PlainText, options
from exam.people.models import PersonRole


class EnterpriseForm(FlaskForm):
    name = StringField(
        _l("Enterprise name"), validators=[DataRequired(), Length(max=200), PlainText()]
    )
    credit_code = StringField(
        _l("Unified social credit code"),
        validators=[DataRequired(), CreditCode()],
        render_kw={"autocapitalize": "characters", "maxlength": 24},
    )
    sectors = MultiCheckboxField(
        _l("Sectors"),
        coerce=int,
        validators=[DataRequired(message=_l("Choose at least one sector."))],
    )
    town_id = SelectField(_l("Town / street"), coerce=int, validators=[DataRequired()])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300), PlainText()])
    contact_name = StringField(
        _l("Contact person"), validators=[Optional(), Length(max=60), PlainText()]
    )
    contact_phone = StringField(
        _l("Contact phone"), validators=[Optional(), Length(max=30), PlainText()]
    )
    employee_count = IntegerField(
        _l("Number of employees"), validators=[Optional(), NumberRange(min=0, max=1_000_000)]
    )
    submit = SubmitField(_l("Save"))


class PersonForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=60), PlainText()])
    id_number = StringField(
        _l("Resident ID number"),
        validators=[DataRequired(), IdNumber()],
        render_kw={"autocapitalize": "characters", "maxlength": 24},
    )
    mobile = StringField(
        _l("Mobile"),
        validators=[DataRequired(), Mobile()],
        render_kw={"inputmode": "tel", "maxlength": 20},
    )
    role = SelectField(
        _l("Post"), choices=options(PersonRole.choices()), validators=[DataRequired()]
    )
    enterprise_id = SelectField(_l("Enterprise"), coerce=int, validators=[DataRequired()])
    appointed_on = DateField(_l("Date appointed"), validators=[Optional()])
    submit = SubmitField(_l("Save"))


class LeaveForm(FlaskForm):
    left_on = DateField(_l("Date left"), validators=[DataRequired()])
    reason = StringField(_l("Note"), validators=[Optional(), Length(max=200), PlainText()])
    submit = SubmitField(_l("Mark as left"))


class ImportForm(FlaskForm):
    file = FileField(
        _l("Spreadsheet (.xlsx or .csv)"),
        validators=[FileRequired(message=_l("Choose a file to import."))],
        render_kw={"accept": ".xlsx,.csv"},
    )
    submit = SubmitField(_l("Check the file"))


class ConfirmImportForm(FlaskForm):
    token = HiddenField(validators=[DataRequired(), Length(max=64)])
    submit = SubmitField(_l("Import"))

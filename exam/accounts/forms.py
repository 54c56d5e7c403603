from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from exam.auth.models import UserRole
from exam.core.forms import MultiCheckboxField, options


class StaffAccountForm(FlaskForm):
    username = StringField(
        _l("Login name"),
        validators=[
            DataRequired(),
            Length(min=3, max=40),
            Regexp(
                r"^[A-Za-z][A-Za-z0-9._-]*$",
                message=_l(
                    "Use letters, digits, dots, dashes or underscores, starting with a letter."
                ),
            ),
        ],
    )
    display_name = StringField(_l("Name shown"), validators=[DataRequired(), Length(max=60)])
    role = SelectField(_l("Role"), choices=options((r, UserRole.LABELS[r]) for r in UserRole.STAFF))
    enterprise_id = SelectField(
        _l("Enterprise (for an enterprise contact)"), coerce=int, validators=[Optional()]
    )
    scope_sectors = MultiCheckboxField(_l("Limit to sectors (organisers; none = all)"), coerce=int)
    scope_towns = MultiCheckboxField(
        _l("Limit to towns/streets (organisers; none = all)"), coerce=int
    )
    submit = SubmitField(_l("Save"))


class ActionForm(FlaskForm):
    """An empty form: a CSRF-protected button."""

    submit = SubmitField()

"""Form pieces shared by features: identifier validators and a multi-checkbox field."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectMultipleField, widgets
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from exam.core.errors import AnpeiError
from exam.core.identifiers import (
    InvalidIdentifier,
    validate_credit_code,
    validate_id_number,
    validate_mobile,
)
from question_bank.spreadsheets import looks_like_formula

#: Why an identifier was refused, in the user's language (completes "The ID number …").
IDENTIFIER_REASONS = {
    "length": _l("must be 18 characters long"),
    "characters": _l("contains characters that are not allowed"),
    "birth_date": _l("contains an impossible date of birth"),
    "check_digit": _l("has a wrong check character (probably a typo)"),
    "mobile": _l("is not an 11-digit mobile number"),
}


def options(pairs) -> list[SelectChoice]:
    """Choices for a select field from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


class MultiCheckboxField(SelectMultipleField):
    """A multiple choice shown as check boxes (easier on a phone than a multi-select)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


#: Why formula-like text was refused (``question_bank.spreadsheets.FORMULA_STARTS``: the one
#: list, which the exports neutralise too).
FORMULA_REFUSAL = _l(
    "This must not start with =, +, -, @, a tab or a line break: a spreadsheet would read it "
    "as a formula."
)


class PlainText:
    """Refuse text a spreadsheet would treat as a formula, and control characters."""

    def __call__(self, form, field):
        value = field.data or ""
        if looks_like_formula(value):
            raise ValidationError(FORMULA_REFUSAL)
        if any(ord(c) < 32 for c in value):
            raise ValidationError(_l("This contains invisible control characters."))


class Identifier:
    """Validate and normalise a national identifier in place."""

    def __init__(self, validate, label):
        self.validate, self.label = validate, label

    def __call__(self, form, field):
        if not field.data:
            return
        try:
            field.data = self.validate(field.data)
        except InvalidIdentifier as exc:
            raise ValidationError(f"{self.label}{IDENTIFIER_REASONS[exc.reason]}") from exc


def IdNumber():  # noqa: N802 - reads like a WTForms validator class
    return Identifier(validate_id_number, _l("The ID number "))


def CreditCode():  # noqa: N802
    return Identifier(validate_credit_code, _l("The credit code "))


def Mobile():  # noqa: N802
    return Identifier(validate_mobile, _l("The number "))


def put_on_form(form, refused: AnpeiError) -> None:
    """Show a refusal on a form: each error on its field (on the form itself without one)."""
    for error in getattr(refused, "errors", None) or [refused]:
        field = getattr(form, error.field, None) if error.field else None
        if field is not None:
            field.errors = [*field.errors, error.message]
        else:
            form.form_errors = [*form.form_errors, error.message]

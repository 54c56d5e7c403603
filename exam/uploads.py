"""What the web app tells a user about an upload it cannot read."""

from __future__ import annotations

from flask_babel import gettext as _

from question_bank.spreadsheets import SpreadsheetError

_MESSAGES = {
    "empty": lambda p: _("The file is empty."),
    "old_xls": lambda p: _("Old .xls files are not accepted. In Excel choose “Save as” → "
                           "“Excel workbook (.xlsx)” and upload that."),
    "not_spreadsheet": lambda p: _("This file is not a spreadsheet. Upload an .xlsx or .csv file "
                                   "made from the template."),
    "encoding": lambda p: _("The CSV file's text encoding is not recognised. Save it as UTF-8."),
    "too_many_rows": lambda p: _("The file has more than %(limit)s rows; split it.", **p),
    "zip_bomb": lambda p: _("The file would unpack to far more data than a spreadsheet holds; "
                            "it is refused."),
    "formula": lambda p: _("Cell %(cell)s of sheet “%(sheet)s” holds a formula. Copy the sheet "
                           "and paste it as values, then upload again.", **p),
    "cell_too_long": lambda p: _("Cell %(cell)s of sheet “%(sheet)s” holds more than %(limit)s "
                                 "characters.", **p),
}


def spreadsheet_error_message(error: SpreadsheetError) -> str:
    """The reason a spreadsheet was refused, in the user's language."""
    return _MESSAGES[error.reason](error.params)

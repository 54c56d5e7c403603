"""Turning uploaded tables into a validated import plan (no database access).

A sheet is recognised by its header row as the enterprise table or the people table;
an .xlsx file may carry both. Every problem becomes a ``RowError`` with the row number
Excel shows, and nothing is written unless the plan has no errors.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import gettext as _

from exam.core.forms import IDENTIFIER_REASONS
from exam.core.identifiers import (
    InvalidIdentifier,
    validate_credit_code,
    validate_id_number,
    validate_mobile,
)
from exam.people.models import PersonRole
from question_bank.spreadsheets import Sheet, looks_like_formula


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # the Chinese header of the template
    aliases: tuple[str, ...]
    required: bool
    width: int = 16


ENTERPRISE_COLUMNS = (
    Column("name", "企业名称", ("name", "enterprise", "enterprisename", "单位名称"), True, 36),
    Column("credit_code", "统一社会信用代码", ("creditcode", "信用代码", "uscc"), True, 24),
    Column("sectors", "行业领域", ("sectors", "sector", "行业"), True, 24),
    Column("town", "镇街", ("town", "镇街道", "所属镇街", "镇/街道"), True, 14),
    Column("address", "地址", ("address", "企业地址"), False, 36),
    Column("contact_name", "联系人", ("contact", "contactname"), False, 12),
    Column("contact_phone", "联系电话", ("phone", "contactphone"), False, 16),
    Column("employee_count", "从业人数", ("employees", "employeecount", "职工人数"), False, 10),
)
PEOPLE_COLUMNS = (
    Column("name", "姓名", ("name", "personname"), True, 12),
    Column("id_number", "身份证号", ("idnumber", "id", "身份证号码", "公民身份号码"), True, 22),
    Column("mobile", "手机号", ("mobile", "phone", "手机号码", "联系电话"), True, 16),
    Column("role", "岗位", ("role", "职务", "人员类型"), True, 18),
    Column(
        "credit_code",
        "所在企业统一社会信用代码",
        ("enterprisecreditcode", "creditcode", "统一社会信用代码", "企业信用代码"),
        True,
        26,
    ),
    Column(
        "enterprise_name", "所在企业名称", ("enterprisename", "enterprise", "企业名称"), False, 32
    ),
    Column("appointed_on", "任职日期", ("appointedon", "appointed", "任职时间"), False, 14),
)

#: Sectors in one cell are separated by these (not by spaces: English names contain them).
SECTOR_SEPARATORS = re.compile(r"[、,，;；/|\n]+")
#: Longest text each column may hold (the database's column sizes).
MAX_LENGTHS = {
    "name": 200,
    "address": 300,
    "contact_name": 60,
    "contact_phone": 30,
    "person_name": 60,
}
MAX_EMPLOYEES = 1_000_000
DATE_PATTERNS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


@dataclass
class EnterpriseRow:
    row: int
    name: str
    credit_code: str
    sector_codes: list[str]
    town: str
    address: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    employee_count: int | None = None


@dataclass
class PersonRow:
    row: int
    name: str
    id_number: str
    mobile: str
    role: str
    credit_code: str
    appointed_on: date | None = None


@dataclass
class RowError:
    sheet: str
    row: int
    message: str


@dataclass
class ImportPlan:
    enterprises: list[EnterpriseRow] = field(default_factory=list)
    people: list[PersonRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.enterprises or self.people)


@dataclass(frozen=True)
class Lookups:
    """What the plan is checked against: the register as it is now."""

    #: Any spelling a sector may have (name, code, English name), lower-case -> sector code.
    sectors: dict[str, str]
    #: Town names.
    towns: set[str]
    #: Credit codes of enterprises already registered.
    credit_codes: set[str]
    #: Mobile numbers already registered -> the ID number of their holder.
    mobiles: dict[str, str] = field(default_factory=dict)


def header_key(text: str) -> str:
    """Fold a header to compare it: no spaces, marks of required columns, or notes in brackets."""
    text = re.sub(r"[（(].*?[）)]", "", text)
    return re.sub(r"[\s*＊_\-:：]", "", text).lower()


def match_columns(headers: list[str], columns: tuple[Column, ...]) -> dict[str, int]:
    """Map column keys to their index in the header row."""
    found: dict[str, int] = {}
    for index, header in enumerate(headers):
        key = header_key(header)
        if not key:
            continue
        for column in columns:
            if column.key not in found and key in {header_key(column.header), *column.aliases}:
                found[column.key] = index
                break
    return found


def classify(sheet: Sheet) -> tuple[str | None, dict[str, int]]:
    """Tell whether a sheet is the enterprise table, the people table, or neither."""
    if not sheet.rows:
        return None, {}
    headers = sheet.rows[0][1]
    people = match_columns(headers, PEOPLE_COLUMNS)
    if "id_number" in people:
        return "people", people
    enterprises = match_columns(headers, ENTERPRISE_COLUMNS)
    if "credit_code" in enterprises and "name" in enterprises:
        return "enterprises", enterprises
    return None, {}


def parse_date(text: str) -> date:
    for pattern in DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            return date(*(int(g) for g in match.groups()))
    return datetime.fromisoformat(text).date()


class _SheetReader:
    """Collects values and errors for one sheet."""

    def __init__(self, plan: ImportPlan, sheet: Sheet, columns: dict[str, int], spec):
        self.plan, self.sheet, self.columns, self.spec = plan, sheet, columns, spec
        self.ok = True
        for column in spec:
            if column.required and column.key not in columns:
                self.error(
                    sheet.rows[0][0], _("the column “%(column)s” is missing", column=column.header)
                )
                self.ok = False

    def error(self, row: int, message: str) -> None:
        self.plan.errors.append(RowError(self.sheet.title, row, message))

    def rows(self):
        for number, values in self.sheet.rows[1:]:
            yield (
                number,
                {k: (values[i] if i < len(values) else "") for k, i in self.columns.items()},
            )

    def required(self, number: int, values: dict, key: str) -> str | None:
        value = values.get(key, "").strip()
        if not value:
            header = next(c.header for c in self.spec if c.key == key)
            self.error(number, _("“%(column)s” is empty", column=header))
            return None
        return value

    def text(self, number: int, values: dict, key: str, limit: int, required: bool = False) -> str:
        """A text cell, checked for length and for a formula-like start."""
        value = (
            self.required(number, values, key) if required else values.get(key, "").strip()
        ) or ""
        header = next(c.header for c in self.spec if c.key == key)
        if len(value) > limit:
            self.error(
                number,
                _("“%(column)s” is longer than %(limit)s characters", column=header, limit=limit),
            )
        elif looks_like_formula(value):
            self.error(
                number,
                _(
                    "“%(column)s” must not start with =, +, -, @, a tab or a line break (a "
                    "spreadsheet would read it as a formula)",
                    column=header,
                ),
            )
        elif any(unicodedata.category(ch) == "Cc" for ch in value):
            self.error(
                number,
                _(
                    "“%(column)s” holds an invisible control character; retype the text",
                    column=header,
                ),
            )
        return value

    def identifier(self, number: int, raw: str, validate, label: str) -> str | None:
        try:
            return validate(raw)
        except InvalidIdentifier as exc:
            self.error(
                number,
                _(
                    "%(label)s %(value)s %(reason)s",
                    label=label,
                    value=raw,
                    reason=IDENTIFIER_REASONS[exc.reason],
                ),
            )
            return None


#: Every spelling of a post a file may use, whatever the interface language (lower-case).
ROLE_SPELLINGS = {
    **{role: role for role in PersonRole.ALL},
    **{name: role for role, name in PersonRole.CHINESE.items()},
    "principal leader": PersonRole.PRINCIPAL_LEADER,
    "safety director": PersonRole.SAFETY_DIRECTOR,
    "safety manager": PersonRole.SAFETY_MANAGER,
    "负责人": PersonRole.PRINCIPAL_LEADER,
    "安全管理人员": PersonRole.SAFETY_MANAGER,
}


def build_plan(sheets: list[Sheet], lookups: Lookups, today: date) -> ImportPlan:
    """Validate every row of every recognised sheet into an import plan."""
    plan = ImportPlan()
    recognised = [(s, *classify(s)) for s in sheets if not s.hidden]
    recognised = [(s, kind, cols) for s, kind, cols in recognised if kind]
    if not recognised:
        plan.errors.append(
            RowError(
                "",
                0,
                _(
                    "No sheet has the template's header row. "
                    "Download the template and keep its first row."
                ),
            )
        )
        return plan
    for sheet, kind, columns in sorted(recognised, key=lambda r: r[1] != "enterprises"):
        if kind == "enterprises":
            _read_enterprises(plan, sheet, columns, lookups)
        else:
            _read_people(plan, sheet, columns, lookups, today)
    if not plan.errors and not (plan.enterprises or plan.people):
        plan.errors.append(RowError("", 0, _("The file has a header row but no data rows.")))
    return plan


def _read_enterprises(plan: ImportPlan, sheet: Sheet, columns, lookups: Lookups) -> None:
    reader = _SheetReader(plan, sheet, columns, ENTERPRISE_COLUMNS)
    if not reader.ok:
        return
    seen: dict[str, int] = {}
    for number, values in reader.rows():
        before = len(plan.errors)
        name = reader.text(number, values, "name", MAX_LENGTHS["name"], required=True)
        raw_code = reader.required(number, values, "credit_code")
        code = raw_code and reader.identifier(
            number, raw_code, validate_credit_code, _("Credit code")
        )
        if code and code in seen:
            reader.error(
                number,
                _("credit code %(code)s already appears in row %(row)s", code=code, row=seen[code]),
            )
        elif code:
            seen[code] = number
        sector_codes = []
        for part in SECTOR_SEPARATORS.split(reader.required(number, values, "sectors") or ""):
            part = part.strip()
            if part and part.lower() not in lookups.sectors:
                reader.error(number, _("unknown sector “%(sector)s”", sector=part))
            elif part:
                sector_codes.append(lookups.sectors[part.lower()])
        town = reader.required(number, values, "town")
        if town and town not in lookups.towns:
            reader.error(
                number,
                _(
                    "unknown town/street “%(town)s” (an administrator adds towns "
                    "under Reference data)",
                    town=town,
                ),
            )
        texts = {
            key: reader.text(number, values, key, MAX_LENGTHS[key])
            for key in ("address", "contact_name", "contact_phone")
        }
        employees = values.get("employee_count", "").strip()
        if employees and not (
            employees.isascii() and employees.isdigit() and int(employees) <= MAX_EMPLOYEES
        ):
            reader.error(
                number,
                _(
                    "number of employees “%(value)s” is not a whole number up to %(max)s",
                    value=employees,
                    max=MAX_EMPLOYEES,
                ),
            )
        if len(plan.errors) == before:
            plan.enterprises.append(
                EnterpriseRow(
                    number,
                    name,
                    code,
                    list(dict.fromkeys(sector_codes)),
                    town,
                    texts["address"],
                    texts["contact_name"],
                    texts["contact_phone"],
                    int(employees) if employees else None,
                )
            )


def _read_people(plan: ImportPlan, sheet: Sheet, columns, lookups: Lookups, today: date) -> None:
    reader = _SheetReader(plan, sheet, columns, PEOPLE_COLUMNS)
    if not reader.ok:
        return
    in_file = {e.credit_code for e in plan.enterprises}
    seen: dict[str, int] = {}
    seen_mobiles: dict[str, tuple[int, str]] = {}
    for number, values in reader.rows():
        before = len(plan.errors)
        name = reader.text(number, values, "name", MAX_LENGTHS["person_name"], required=True)
        raw_id = reader.required(number, values, "id_number")
        id_number = raw_id and reader.identifier(number, raw_id, validate_id_number, _("ID number"))
        if id_number and id_number in seen:
            reader.error(
                number,
                _(
                    "ID number %(id)s already appears in row %(row)s",
                    id=id_number,
                    row=seen[id_number],
                ),
            )
        elif id_number:
            seen[id_number] = number
        raw_mobile = reader.required(number, values, "mobile")
        mobile = raw_mobile and reader.identifier(number, raw_mobile, validate_mobile, _("Mobile"))
        if mobile and id_number:
            # A mobile shared by two people would identify neither of them at login.
            holder = lookups.mobiles.get(mobile)
            if mobile in seen_mobiles and seen_mobiles[mobile][1] != id_number:
                reader.error(
                    number,
                    _(
                        "mobile %(mobile)s already appears in row %(row)s",
                        mobile=mobile,
                        row=seen_mobiles[mobile][0],
                    ),
                )
            elif holder is not None and holder != id_number:
                reader.error(
                    number, _("mobile %(mobile)s is registered to another person", mobile=mobile)
                )
            seen_mobiles.setdefault(mobile, (number, id_number))
        raw_role = reader.required(number, values, "role")
        role = ROLE_SPELLINGS.get((raw_role or "").strip().lower())
        if raw_role and role is None:
            reader.error(
                number,
                _(
                    "unknown post “%(role)s”; use one of: %(roles)s",
                    role=raw_role,
                    roles="、".join(PersonRole.CHINESE.values()),
                ),
            )
        raw_code = reader.required(number, values, "credit_code")
        code = raw_code and reader.identifier(
            number, raw_code, validate_credit_code, _("Credit code")
        )
        if code and code not in lookups.credit_codes and code not in in_file:
            reader.error(
                number,
                _(
                    "the enterprise with credit code %(code)s is not registered; "
                    "import the enterprise first or add it to the file",
                    code=code,
                ),
            )
        appointed = values.get("appointed_on", "").strip()
        appointed_on = None
        if appointed:
            try:
                appointed_on = parse_date(appointed)
            except ValueError:
                reader.error(
                    number,
                    _(
                        "appointment date “%(value)s” is not a date like 2024-03-01",
                        value=appointed,
                    ),
                )
            else:
                if appointed_on > today:
                    reader.error(
                        number, _("appointment date %(value)s is in the future", value=appointed)
                    )
        if len(plan.errors) == before:
            plan.people.append(PersonRow(number, name, id_number, mobile, role, code, appointed_on))

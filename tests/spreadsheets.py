"""Building import files in tests."""

from __future__ import annotations

import io

from openpyxl import Workbook

ENTERPRISE_HEADERS = [
    "企业名称*",
    "统一社会信用代码*",
    "行业领域*",
    "镇街*",
    "地址",
    "联系人",
    "联系电话",
    "从业人数",
]
PEOPLE_HEADERS = [
    "姓名*",
    "身份证号*",
    "手机号*",
    "岗位*",
    "所在企业统一社会信用代码*",
    "所在企业名称",
    "任职日期",
]


def xlsx(enterprises: list[list] | None = None, people: list[list] | None = None) -> bytes:
    """An .xlsx file shaped like the template: sheets 企业 and 人员."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    if enterprises is not None:
        sheet = workbook.create_sheet("企业")
        sheet.append(ENTERPRISE_HEADERS)
        for row in enterprises:
            sheet.append(row)
    if people is not None:
        sheet = workbook.create_sheet("人员")
        sheet.append(PEOPLE_HEADERS)
        for row in people:
            sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()

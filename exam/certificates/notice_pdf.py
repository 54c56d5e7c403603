"""The admission notice (准考证) as a PDF, with reportlab only: one page per candidate with the
exam, the login and the rules of the room."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.lib.colors import white
from reportlab.lib.pagesizes import A4, portrait
from reportlab.pdfgen.canvas import Canvas

from exam.certificates.pdf import BOX_FILL, DARK_RED, GREY, NAVY, RULE, field_table
from exam.core.printing import (
    INK,
    Block,
    binary_streams,
    draw_block,
    draw_fitted,
    draw_heading,
    draw_qr,
    font_name,
    layout,
    pdf_canvas,
    printable_line,
)


@dataclass(frozen=True)
class AdmissionData:
    """What one admission notice (准考证) says; every string is printed literally."""

    number: str
    authority: str
    candidate_name: str
    id_number_masked: str
    enterprise: str
    role: str
    exam_title: str
    window: str
    duration_minutes: int
    site_url: str
    login: str
    initial_password: str | None
    rules: tuple[str, ...]


def render_admission_notice(data: AdmissionData, font: str | None = None) -> bytes:
    """One A4 portrait admission notice as PDF bytes."""
    return render_admission_notices([data], font)


def render_admission_notices(items: Sequence[AdmissionData], font: str | None = None) -> bytes:
    """One PDF with one page per candidate (the bulk download for an exam)."""
    items = list(items)
    if not items:
        raise ValueError("no admission notices to render")
    name = font_name(font)
    buffer = io.BytesIO()
    with binary_streams():
        c = pdf_canvas(buffer, portrait(A4), name)
        c.setTitle(f"准考证 {printable_line(items[0].exam_title)}")
        c.setAuthor(printable_line(items[0].authority))
        c.setCreator("Anpei")
        for item in items:
            _draw_notice(c, item, name)
            c.showPage()
        c.save()
    return buffer.getvalue()


def _draw_notice(c: Canvas, data: AdmissionData, font: str) -> None:
    width, height = portrait(A4)
    left, right = 62.0, width - 62.0
    _notice_frame(c, width, height)
    _notice_header(c, data, font, width, height)
    bottom = _notice_fields(c, data, font, left, height - 196, right - left)
    bottom = _login_box(c, data, font, left, bottom - 26, right - left)
    _notice_rules(c, data, font, left, bottom - 18, right - left, 84)
    _notice_footer(c, data, font, left, right - left)


def _notice_footer(c: Canvas, data: AdmissionData, font: str, x: float, width: float) -> None:
    c.setStrokeColor(RULE)
    c.setLineWidth(0.5)
    c.line(x, 74, x + width, 74)
    text = f"本准考证由{printable_line(data.authority)}制发，仅限本人使用，请妥善保管。"
    draw_fitted(c, text, font, (x, 52, width, 16), 9, align="center", color=GREY)


def _notice_frame(c: Canvas, width: float, height: float) -> None:
    c.setStrokeColor(NAVY)
    c.setLineWidth(2.2)
    c.rect(30, 30, width - 60, height - 60, stroke=1, fill=0)
    c.setLineWidth(0.6)
    c.rect(35, 35, width - 70, height - 70, stroke=1, fill=0)


def _notice_header(c: Canvas, data: AdmissionData, font: str, width: float, height: float) -> None:
    draw_fitted(
        c,
        f"准考证号：{printable_line(data.number)}",
        font,
        (width - 330, height - 64, 268, 14),
        10,
        align="right",
        color=GREY,
    )
    draw_fitted(
        c,
        printable_line(data.authority),
        font,
        (80, height - 96, width - 160, 22),
        15,
        align="center",
    )
    draw_heading(c, "准考证", font, width / 2, height - 140, 32, width - 160, 16, NAVY)
    c.setStrokeColor(NAVY)
    c.setLineWidth(1.2)
    c.line(width / 2 - 110, height - 154, width / 2 + 110, height - 154)
    draw_fitted(
        c,
        printable_line(data.exam_title),
        font,
        (80, height - 184, width - 160, 26),
        14,
        align="center",
        color=NAVY,
    )


def _notice_fields(
    c: Canvas, data: AdmissionData, font: str, x: float, top: float, width: float
) -> float:
    rows: list[tuple[tuple[str, str], ...]] = [
        (("姓　　名", data.candidate_name),),
        (("身份证号", data.id_number_masked),),
        (("工作单位", data.enterprise),),
        (("岗　　位", data.role),),
        (("准考证号", data.number),),
        (("考试名称", data.exam_title),),
        (("考试时间", data.window),),
        (("考试时长", f"{int(data.duration_minutes)} 分钟"),),
    ]
    return field_table(c, font, rows, x, top, width, row_height=28.0, label_width=90.0, size=12.5)


def _login_box(
    c: Canvas, data: AdmissionData, font: str, x: float, top: float, width: float
) -> float:
    """The boxed 登录方式: address, login and password, with a QR code of the address."""
    height, qr = 128.0, 88.0
    bottom = top - height
    c.setFillColor(BOX_FILL)
    c.setStrokeColor(NAVY)
    c.setLineWidth(1.4)
    c.roundRect(x, bottom, width, height, 6, stroke=1, fill=1)
    c.setFillColor(NAVY)
    c.roundRect(x + 14, top - 10, 92, 20, 4, stroke=0, fill=1)
    draw_fitted(c, "登录方式", font, (x + 14, top - 10, 92, 20), 12, align="center", color=white)
    draw_qr(c, data.site_url, x + width - qr - 16, bottom + 22, qr)
    draw_fitted(
        c,
        "扫码打开考试网址",
        font,
        (x + width - qr - 26, bottom + 5, qr + 20, 14),
        8.5,
        align="center",
        color=GREY,
    )
    text_width = width - qr - 60
    if data.initial_password:
        password, note = (
            printable_line(data.initial_password),
            "首次登录后须立即修改密码，请勿告知他人。",
        )
    else:
        password, note = "请使用本人已设置的密码", "忘记密码请联系所在企业或考试组织单位重置。"
    lines = (
        ("登录网址", printable_line(data.site_url), 11.5, INK),
        ("登录账号", printable_line(data.login), 13, INK),
        ("初始密码" if data.initial_password else "登录密码", password, 13, DARK_RED),
    )
    y = top - 40
    for label, value, size, color in lines:
        draw_fitted(c, f"{label}：", font, (x + 18, y, 70, 20), 11.5, color=GREY)
        draw_fitted(c, value, font, (x + 88, y, text_width - 70, 20), size, color=color)
        y -= 24
    draw_fitted(c, note, font, (x + 18, bottom + 8, text_width + 10, 14), 9, color=GREY)
    return bottom


def _notice_rules(
    c: Canvas, data: AdmissionData, font: str, x: float, top: float, width: float, bottom: float
) -> None:
    """考试须知 as a numbered list, shrunk to fit above ``bottom``; rules that do not fit even
    at the smallest size are referred to, not silently dropped."""
    draw_fitted(c, "考试须知", font, (x, top - 20, width, 20), 13, color=NAVY)
    c.setStrokeColor(NAVY)
    c.setLineWidth(0.8)
    c.line(x, top - 24, x + width, top - 24)
    rules = [rule for rule in (printable_line(rule) for rule in data.rules) if rule]
    top -= 32
    size, blocks = _fit_rules(rules, font, width, top - bottom)
    for number, block in enumerate(blocks, start=1):
        if top - block.height < bottom and number < len(blocks):
            note = f"（其余 {len(blocks) - number + 1} 条须知请登录考试系统查看）"
            draw_fitted(c, note, font, (x, top - size * 1.5, width, size * 1.5), size, color=GREY)
            return
        c.setFillColor(INK)
        c.setFont(font, size)
        c.drawString(x, top - size * 0.95, f"{number}.")
        draw_block(c, block, font, x + size * 2, top, width - size * 2)
        top -= block.height + size * 0.4


def _fit_rules(
    rules: Sequence[str], font: str, width: float, height: float
) -> tuple[float, list[Block]]:
    size = 12.0
    while True:
        blocks = [layout([(rule, False)], font, width - size * 2, size, 1.5) for rule in rules]
        if sum(block.height + size * 0.4 for block in blocks) <= height or size <= 7.5:
            return size, blocks
        size -= 0.5

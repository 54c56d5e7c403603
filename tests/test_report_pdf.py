"""Report charts (SVG for pages, vector in PDFs), report PDFs (embedded Chinese font, the
bureau and the date on every page, page numbers), the one-page summary for the people's
congress, and the report extensions of the .xlsx writer."""

from __future__ import annotations

import io
import re
import subprocess
from datetime import date

import pytest
from conftest import require_tool
from flask_babel import gettext as _
from openpyxl import load_workbook

from exam.reports.queries.figures import Dashboard, PassRateRow
from exam.reports.queries.rates import Counts
from exam.reports.render.charts import bar_chart, heat_map, score_color, to_svg
from exam.reports.render.exports import dashboard_pdf, passrates_pdf
from exam.reports.render.pdf import Heading, HeatMap, Paragraph, TableBlock, report_pdf
from exam.reports.render.summary import Summary, summary_pdf, summary_title
from question_bank.spreadsheets import DECIMAL, PERCENT, Table, write_xlsx

BUREAU = "青岛市黄岛区应急管理局"
DAY = date(2026, 11, 27)


def _text(pdf: bytes, page: int | None = None) -> str:
    tool = require_tool("pdftotext", "poppler-utils")
    pages = ["-f", str(page), "-l", str(page)] if page else []
    return subprocess.run(
        [tool, *pages, "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()


def _pages(pdf: bytes) -> int:
    tool = require_tool("pdfinfo", "poppler-utils")
    info = subprocess.run([tool, "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return int(re.search(r"Pages:\s+(\d+)", info).group(1))


def _fonts(pdf: bytes, tmp_path) -> list[list[str]]:
    tool = require_tool("pdffonts", "poppler-utils")
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    lines = subprocess.run(
        [tool, str(path)], capture_output=True, check=True, text=True
    ).stdout.splitlines()
    return [line.split() for line in lines[2:]]


# --- charts ----------------------------------------------------------------------------------


def test_bar_chart_svg_carries_its_labels_and_figures(app):
    with app.app_context():
        svg = to_svg(
            bar_chart(
                ["危险化学品", "金属冶炼", "<粉尘&涉爆>"], [92.5, 100, None], title="各行业通过率"
            ),
            title="各行业通过率",
        )
    assert svg.startswith("<svg") and "<?xml" not in svg and "DOCTYPE" not in svg
    for text in (
        "危险化学品",
        "金属冶炼",
        "&lt;粉尘&amp;涉爆&gt;",
        "92.5%",
        "100%",
        "各行业通过率",
    ):
        assert text in svg, text
    assert "<粉尘" not in svg  # labels are escaped: safe to embed with |safe
    # Right-aligned labels are aligned by the browser, whatever font it draws them in.
    assert re.search(r'<text[^>]*text-anchor="end"[^>]*>危险化学品</text>', svg)


def test_svg_scales_and_names_fonts_the_browser_has(app):
    with app.app_context():
        svg = to_svg(bar_chart(["甲"], [50.0]))
    opening = svg[: svg.index(">")]
    assert 'width="100%"' in opening and 'viewBox="0 0 480 ' in opening and "height=" not in opening
    # Presentation attributes, not inline styles: the site's CSP (style-src 'self') drops those.
    assert "style=" not in svg and "<style" not in svg
    families = set(re.findall(r'font-family="([^"]*)"', svg))
    assert families and all(f.rstrip().endswith("sans-serif") for f in families)
    assert "AnpeiCJK" not in svg  # the PDF font's internal name means nothing to a browser
    # Several charts on one page must not share element ids.
    assert not re.search(r'\sid="', svg)


def test_heat_map_shows_each_figure_and_marks_missing_cells(app):
    with app.app_context():
        svg = to_svg(
            heat_map(
                ["抓教育培训", "抓制度完善"],
                ["危险化学品", "主要负责人"],
                [[55.0, None], [90.25, 100.0]],
                title="薄弱环节",
            )
        )
    for text in (
        "抓教育培训",
        "抓制度完善",
        "危险化学品",
        "主要负责人",
        ">55<",
        ">90.2<",
        ">100<",
        ">—<",
    ):
        assert text in svg.replace("\n", "").replace("\t", ""), text


def test_heat_map_colours_run_from_red_to_green():
    weak, middle, strong = score_color(50), score_color(80), score_color(100)
    assert weak.red > weak.green and strong.green > strong.red
    assert middle.red > 0.8 and middle.green > 0.7  # amber half way


def test_an_empty_chart_says_there_is_no_data(app):
    with app.test_request_context():
        assert "No data" in to_svg(bar_chart([], [])) or "暂无数据" in to_svg(bar_chart([], []))


# --- report PDFs -------------------------------------------------------------------------------


def test_report_pdf_prints_title_figures_bureau_and_date_on_every_page(app, tmp_path):
    rows = [[f"张{i}", f"危化企业{i}", 80 + i % 20, 12.5] for i in range(120)]
    with app.test_request_context():
        pdf = report_pdf(
            "通过率报告 <b>&amp;</b>",
            [
                Heading("一、总体情况"),
                Paragraph("全区共组织考试12场。"),
                bar_chart(["危险化学品", "金属冶炼"], [92.5, 100], title="各行业通过率"),
                TableBlock(["姓名", "企业", "得分", "学时"], rows),
            ],
            subtitle="2026年",
            bureau=BUREAU,
            today=DAY,
        )
    pages = _pages(pdf)
    assert pages >= 3
    first = _text(pdf, 1)
    assert "通过率报告 <b>&amp;</b>" in first  # printed literally, never read as markup
    assert "全区共组织考试12场" in first and "各行业通过率" in first and "92.5%" in first
    for page in range(1, pages + 1):
        text = _text(pdf, page)
        assert BUREAU in text and "2026年11月27日" in text, page
        assert re.search(rf"\b{page}\b.*\b{pages}\b", text.strip().splitlines()[-1]), page
    assert "张119" in _text(pdf, pages) and "姓名" in _text(pdf, pages)  # the header repeats
    fonts = _fonts(pdf, tmp_path)
    assert fonts and all(f[-5] == "yes" for f in fonts), fonts  # every font embedded
    assert not any("Helvetica" in f[0] for f in fonts)


def test_control_characters_and_lone_surrogates_do_not_break_a_report(app):
    with app.test_request_context():
        pdf = report_pdf(
            "名单\x00甲\ud800",
            [Paragraph("第一行\x07\n第二行"), TableBlock(["姓名"], [["王\x01五"]])],
            bureau=BUREAU,
            today=DAY,
        )
    text = _text(pdf)
    assert "名单 甲" in text and "第二行" in text and "王五" in re.sub(r"\s+", "", text)


def test_an_empty_table_still_renders(app, tmp_path):
    with app.test_request_context():
        pdf = report_pdf("空表", [TableBlock(["甲", "乙"], [])], bureau=BUREAU, today=DAY)
    assert "空表" in _text(pdf)
    assert all(f[-5] == "yes" for f in _fonts(pdf, tmp_path))


# --- reports of many groups: charts and tables carry on over pages ------------------------------


def _rate_rows(count: int, name: str) -> list[PassRateRow]:
    return [
        PassRateRow(
            candidates=3,
            sat_first=3,
            passed_first=i % 4,
            sat_final=3,
            passed_final=min(3, i % 4 + 1),
            key=i,
            label=f"{name}{i:04d}号",
        )
        for i in range(count)
    ]


@pytest.mark.parametrize("count", [40, 1000])
def test_pass_rate_pdf_by_enterprise_renders_every_enterprise(app, count):
    rows = _rate_rows(count, "青岛生成化工有限公司")
    with app.test_request_context():
        pdf = passrates_pdf(rows, Counts(), "enterprise", ["按企业"], "通过率（按企业）")
    pages = _pages(pdf)
    assert pdf.startswith(b"%PDF") and pages >= 2
    text = _text(pdf)
    assert "青岛生成化工有限公司0000号" in text
    assert f"青岛生成化工有限公司{count - 1:04d}号" in _text(pdf, pages)  # the table's last row
    assert "企业" in _text(pdf, pages)  # the header repeats


@pytest.mark.parametrize("group_by", ["exam", "sector", "role", "town", "month"])
def test_pass_rate_pdf_of_every_grouping_renders_at_scale(app, group_by):
    rows = _rate_rows(300, "组")
    with app.test_request_context():
        pdf = passrates_pdf(rows, Counts(), group_by, [], "通过率")
    pages = _pages(pdf)
    assert pages >= 3 and "组0000号" in _text(pdf, 1) and "组0299号" in _text(pdf, pages)


def test_a_chart_of_more_bars_than_a_page_holds_carries_on_and_a_long_one_is_capped(app):
    with app.test_request_context():
        pdf = passrates_pdf(_rate_rows(40, "企业"), Counts(), "enterprise", [], "通过率")
        capped = passrates_pdf(_rate_rows(41, "企业"), Counts(), "enterprise", [], "通过率")
        continued = _("%(title)s (continued)", title=_("Final pass rate"))
        note = _(
            "The chart shows the %(n)s of %(total)s groups with the lowest final pass rate; the "
            "table below lists them all.",
            n=40,
            total=41,
        )
    # All 40 bars, the second part titled as continued; then the table.
    assert re.sub(r"\s+", "", continued) in re.sub(r"\s+", "", _text(pdf, 2))
    assert re.sub(r"\s+", "", note) in re.sub(r"\s+", "", _text(capped, 1))


def test_dashboard_pdf_with_many_sectors_renders(app):
    sectors = tuple(_rate_rows(60, "行业"))
    board = Dashboard(2026, 3, Counts(), sectors, 10, 2, 5, 1, 0, 0, 0, 0, {}, 10, 8)
    with app.test_request_context():
        pdf = dashboard_pdf(board, "2026年")
    pages = _pages(pdf)
    assert pages >= 3 and "行业0000号" in _text(pdf) and "行业0059号" in _text(pdf, pages)


def test_a_heat_map_taller_than_a_page_carries_on_over_pages(app):
    topics = [f"知识点{i:03d}" for i in range(120)]
    values = [[50.0 + i % 50, None] for i in range(120)]
    with app.test_request_context():
        pdf = report_pdf(
            "薄弱环节",
            [HeatMap(topics, ["危险化学品", "金属冶炼"], values, title="平均得分率")],
            bureau=BUREAU,
            today=DAY,
        )
    pages = _pages(pdf)
    assert pages >= 3 and "知识点000" in _text(pdf, 1) and "知识点119" in _text(pdf, pages)


def test_a_drawing_taller_than_a_page_is_shrunk_to_it(app):
    with app.test_request_context():
        tall = bar_chart([f"企业{i}" for i in range(80)], [50.0] * 80)
        pdf = report_pdf("长图", [tall], bureau=BUREAU, today=DAY)
    last = _text(pdf, _pages(pdf))  # on a page of its own, whole
    assert "企业0 " in last or "企业0\n" in last
    assert "企业79" in last


# --- the summary for the people's congress ---------------------------------------------------------

SECTORS = [
    "危险化学品",
    "金属冶炼",
    "粉尘涉爆",
    "有限空间",
    "非煤矿山",
    "烟花爆竹",
    "建筑施工",
    "交通运输",
    "工贸其他",
    "冶金",
    "涉氨制冷",
    "其他行业",
]


def _summary(sectors: int = 8) -> Summary:
    rates = [96.4, 100.0, 88.2, 92.0, None, 75.0, 98.1, 90.3, 85.7, 100.0, 93.3, 70.0]
    names = (SECTORS * 4)[:sectors]
    return Summary(
        date(2026, 1, 1),
        DAY,
        exams_held=18,
        candidates=1243,
        first_pass_rate=82.6,
        final_pass_rate=96.9,
        not_passed=39,
        certificates_valid=1180,
        certificates_expiring=42,
        training_sessions=36,
        training_person_times=2105,
        screenings=24,
        screening_person_times=3320,
        onsite_hours=8450.5,
        online_hours=2310.0,
        sector_rates=tuple(zip(names, (rates * 4)[:sectors], strict=True)),
        no_shows=17,
    )


def test_summary_is_one_page_with_the_figures_chart_and_totals(app, tmp_path):
    with app.test_request_context():
        pdf = summary_pdf(_summary(), bureau=BUREAU, today=DAY)
        title = summary_title(_summary())
    assert _pages(pdf) == 1
    text = re.sub(r"\s+", "", _text(pdf))
    for figure in (
        "18",
        "1243",
        "82.6%",
        "96.9%",
        "39",
        "1180",
        "42",
        "36",
        "2105",
        "24",
        "3320",
        "8450.5",
        "2310",
        "17",
    ):
        assert figure in text, figure
    for sector in SECTORS[:8]:
        assert sector in text, sector
    assert re.sub(r"\s+", "", title) in text and BUREAU in text and "2026年11月27日" in text
    assert text.rstrip().endswith("2026年11月27日")  # signed and dated at the foot
    assert all(f[-5] == "yes" for f in _fonts(pdf, tmp_path))


@pytest.mark.parametrize("sectors", [12, 30])
def test_summary_stays_on_one_page_with_many_sectors(app, sectors):
    with app.test_request_context():
        pdf = summary_pdf(_summary(sectors), bureau=BUREAU, today=DAY)
    assert _pages(pdf) == 1
    assert "其他行业" in _text(pdf)


def test_summary_without_anybody_left_says_so(app):
    with app.test_request_context():
        pdf = summary_pdf(
            Summary(date(2026, 1, 1), DAY, 1, 10, 100.0, 100.0, 0, 10, 0, 0, 0, 0, 0, 0.0, 0.0),
            bureau=BUREAU,
            today=DAY,
        )
        done = _(
            "Every person required to sit the exam has passed; the bureau will keep "
            "certificates renewed and retraining hours complete."
        )
    text = re.sub(r"\s+", "", _text(pdf))
    assert _pages(pdf) == 1 and "100.0%" in text
    assert re.sub(r"\s+", "", done) in text


# --- the .xlsx writer's report extensions ----------------------------------------------------------


def test_xlsx_captions_sit_above_the_header_and_columns_are_formatted():
    data = write_xlsx(
        [
            Table(
                "通过率",
                ["行业", "人数", "通过率", "学时"],
                [["危险化学品", 12, 0.925, 12.5], ["=SUM(A1)", 3, 1.0, 4.0]],
                captions=["各行业通过率", f"{BUREAU}  2026年11月27日", "=期间：全年"],
                number_formats={2: PERCENT, 3: DECIMAL},
            )
        ]
    )
    sheet = load_workbook(io.BytesIO(data)).active
    assert [sheet.cell(row=r, column=1).value for r in range(1, 7)] == [
        "各行业通过率",
        f"{BUREAU}  2026年11月27日",
        "=期间：全年",
        None,
        "行业",
        "危险化学品",
    ]
    assert sheet.cell(row=3, column=1).data_type == "s"  # a caption is never a formula
    assert sheet.cell(row=7, column=1).data_type == "s"
    assert sheet.freeze_panes == "A6" and sheet.cell(row=5, column=1).font.bold
    assert sheet["C6"].number_format == PERCENT and sheet["C6"].value == 0.925
    assert sheet["D7"].number_format == DECIMAL
    assert "A1:D1" in {str(r) for r in sheet.merged_cells.ranges}


def test_xlsx_without_captions_is_as_before():
    sheet = load_workbook(
        io.BytesIO(write_xlsx([Table("t", ["a", "b"], [["x", 1]], text_columns=[0])]))
    ).active
    assert sheet["A1"].value == "a" and sheet["A2"].value == "x" and sheet.freeze_panes == "A2"
    assert sheet["A2"].number_format == "@" and not sheet.merged_cells.ranges

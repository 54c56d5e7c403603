"""Certificate and admission-notice PDFs, checked with poppler-utils and zbar as a reader would:
the Chinese font is embedded, text is extractable and literal, the QR code scans, long values
stay on the page, and bulk notices have one page per candidate."""

from __future__ import annotations

import ast
import io
import re
import subprocess
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from conftest import require_tool
from PIL import Image, ImageDraw

from exam.certificates import notice_pdf, pdf
from exam.certificates.notice_pdf import (
    AdmissionData,
    render_admission_notice,
    render_admission_notices,
)
from exam.certificates.pdf import (
    CertificateData,
    render_certificate,
    render_certificates,
)
from exam.core import printing
from exam.core.printing import FontMissing, font_path, missing_characters

LONG_NAME = "阿卜杜热合曼·买买提依明·艾力克斯·托马斯·长名字测试用的四十个字符姓名啊哈嘿嘿"
assert len(LONG_NAME) == 40
LONG_ENTERPRISE = (
    "山东省济南市历城区港沟街道某某危险化学品仓储物流与安全技术服务股份有限公司第二分公司"
)
VERIFY_URL = "https://anpei.example.gov.cn/verify/AP2026-7K3M-Q9XD"
RULES = (
    "考生须在规定的考试时间内登录考试系统，逾期未参加考试的视为缺考。",
    "考试须本人独立完成，不得由他人代考，不得查阅资料或与他人交流。",
    "考试时长届满系统自动交卷；提前交卷后不得再次进入考试。",
)


def tool(name: str) -> str:
    return require_tool(name, "zbar-tools" if name == "zbarimg" else "poppler-utils")


def run(*args: str | Path) -> str:
    result = subprocess.run(
        [tool(str(args[0])), *map(str, args[1:])],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def write(tmp_path: Path, data: bytes, name: str = "out.pdf") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def text_of(path: Path, *options: str) -> str:
    return run("pdftotext", *options, path, "-")


def squashed(text: str) -> str:
    """Extracted text without line breaks and spaces (wrapped lines joined)."""
    return re.sub(r"\s+", "", text)


def seal_png(width: int = 300, height: int = 300) -> bytes:
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((8, 8, width - 8, height - 8), outline=(200, 20, 30, 255), width=14)
    draw.regular_polygon(
        (width / 2, height / 2, min(width, height) / 6), 5, fill=(200, 20, 30, 255)
    )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def certificate() -> CertificateData:
    return CertificateData(
        number="AP2026-7K3M-Q9XD",
        authority="济南市历城区应急管理局",
        holder_name="王小明",
        id_number_masked="370102********1234",
        enterprise="济南华信化工有限公司",
        role="主要负责人",
        exam_title="“八抓20项”专题考试（第二期）",
        score="92.0",
        issued_on=date(2026, 11, 27),
        valid_until=date(2029, 11, 26),
        verify_url=VERIFY_URL,
    )


@pytest.fixture
def notice() -> AdmissionData:
    return AdmissionData(
        number="ZK20261201-0042",
        authority="济南市历城区应急管理局",
        candidate_name="李春燕",
        id_number_masked="370102********5678",
        enterprise="济南华信化工有限公司",
        role="安全总监",
        exam_title="“八抓20项”专题考试（第二期）",
        window="2026-12-01 09:00 至 2026-12-07 17:00",
        duration_minutes=90,
        site_url="https://anpei.example.gov.cn",
        login="13912345678",
        initial_password="Kp7-mZ42",
        rules=RULES,
    )


# --- fonts --------------------------------------------------------------------------------


def test_the_packaged_font_is_found():
    path = printing.packaged_font().path
    assert path.endswith("wqy-microhei.ttc") and Path(path).is_file()


def test_a_configured_font_is_used_and_must_exist(tmp_path):
    assert font_path(font_path()) == font_path()
    with pytest.raises(FontMissing, match="does not exist"):
        font_path(str(tmp_path / "nowhere.ttf"))


def test_a_postscript_outline_font_is_refused_clearly(tmp_path, certificate):
    cff = tmp_path / "cff.otf"
    cff.write_bytes(b"OTTO" + bytes(60))
    with pytest.raises(FontMissing, match="TrueType"):
        render_certificate(certificate, str(cff))


def test_the_font_is_registered_once(certificate):
    from reportlab.pdfbase import pdfmetrics

    def ours() -> list[str]:
        return [n for n in pdfmetrics.getRegisteredFontNames() if n.startswith("AnpeiCJK-")]

    render_certificate(certificate)
    registered = ours()
    render_certificate(certificate)
    assert ours() == registered and registered.count(printing.font_name()) == 1


def test_the_chinese_font_is_embedded(tmp_path, certificate):
    for name, data in (
        ("cert.pdf", render_certificate(certificate)),
        ("notice.pdf", render_admission_notice(notice_for(certificate))),
    ):
        rows = run("pdffonts", write(tmp_path, data, name)).splitlines()[2:]
        assert rows, "no fonts listed"
        assert all("WenQuanYi" in row for row in rows), rows  # no Helvetica or other stray font
        for row in rows:
            emb, sub, uni = row.split()[-5:-2]
            assert (emb, sub, uni) == ("yes", "yes", "yes"), row


def notice_for(data: CertificateData) -> AdmissionData:
    return AdmissionData(
        number="ZK1",
        authority=data.authority,
        candidate_name=data.holder_name,
        id_number_masked=data.id_number_masked,
        enterprise=data.enterprise,
        role=data.role,
        exam_title=data.exam_title,
        window="2026-12-01 09:00 至 2026-12-07 17:00",
        duration_minutes=90,
        site_url="https://anpei.example.gov.cn",
        login="13912345678",
        initial_password=None,
        rules=RULES,
    )


def test_missing_characters_are_reported():
    assert missing_characters("王𠮷小明") == "𠮷"
    assert missing_characters("王小明 <b>&amp;") == ""


# --- the certificate ----------------------------------------------------------------------


def test_the_certificate_is_one_a4_landscape_page(tmp_path, certificate):
    data = render_certificate(certificate)
    assert data.startswith(b"%PDF-")
    info = run("pdfinfo", write(tmp_path, data))
    assert re.search(r"^Pages:\s+1$", info, re.M)
    assert re.search(r"^Page size:\s+841\.89 x 595\.2\d+ pts \(A4\)", info, re.M), info


def test_the_certificate_says_what_it_certifies(tmp_path, certificate):
    text = text_of(write(tmp_path, render_certificate(certificate)))
    for expected in (
        "安全生产知识考试合格证明",
        "王小明",
        "370102********1234",
        "济南华信化工有限公司",
        "主要负责人",
        "“八抓20项”专题考试（第二期）",
        "92.0",
        "AP2026-7K3M-Q9XD",
        "济南市历城区应急管理局",
        "2026年11月27日",
        "2029年11月26日",
        "扫码验证真伪",
    ):
        assert expected in text, expected
    assert (
        "兹证明王小明（身份证号370102********1234），系济南华信化工有限公司的主要负责人"
        in squashed(text)
    )
    assert "特发此证。" in text


def test_markup_in_a_name_is_printed_literally(tmp_path, certificate):
    data = replace(certificate, holder_name="<b>王</b>&amp;", enterprise="A&B <i>公司</i>")
    text = text_of(write(tmp_path, render_certificate(data)))
    assert "<b>王</b>&amp;" in text
    assert "A&B <i>公司</i>" in text


def test_the_qr_code_scans_to_the_verify_url(tmp_path, certificate):
    data = replace(certificate, seal=seal_png())
    path = write(tmp_path, render_certificate(data))
    run("pdftoppm", "-r", "150", "-png", "-singlefile", path, tmp_path / "page")
    decoded = run("zbarimg", "--raw", "-q", tmp_path / "page.png").strip().splitlines()
    assert decoded == [VERIFY_URL]


def test_long_values_wrap_or_shrink_inside_the_page(tmp_path, certificate):
    data = replace(
        certificate,
        holder_name=LONG_NAME,
        enterprise=LONG_ENTERPRISE,
        exam_title="“八抓20项”专题考试（第二期）暨危险化学品企业主要负责人安全生产知识和管理能力考核",
        seal=seal_png(),
    )
    path = write(tmp_path, render_certificate(data))
    text = squashed(text_of(path))
    assert text.count(LONG_NAME) >= 2  # the sentence and the table
    assert LONG_ENTERPRISE in text
    assert_inside_the_frame(path, margin=38)


def assert_inside_the_frame(path: Path, margin: float) -> None:
    """Every word pdftotext finds lies inside the page's frame."""
    html = run("pdftotext", "-bbox", path, "-")
    page = re.search(r'<page width="([\d.]+)" height="([\d.]+)"', html)
    width, height = float(page.group(1)), float(page.group(2))
    words = re.findall(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">'
        r"([^<]*)</word>",
        html,
    )
    assert words
    for x_min, y_min, x_max, y_max, word in words:
        assert float(x_min) >= margin and float(x_max) <= width - margin, word
        assert float(y_min) >= margin and float(y_max) <= height - margin, word


def test_the_seal_is_drawn_only_when_given(tmp_path, certificate):
    without = write(tmp_path, render_certificate(certificate), "without.pdf")
    assert images_in(without) == []
    wide = write(
        tmp_path, render_certificate(replace(certificate, seal=seal_png(600, 300))), "w.pdf"
    )
    [(width, height)] = images_in(wide)
    assert width / height == pytest.approx(2, rel=0.02)  # downscaled, aspect ratio kept
    assert max(width, height) <= pdf.SEAL_MAX_PIXELS


def images_in(path: Path) -> list[tuple[int, int]]:
    rows = run("pdfimages", "-list", path).splitlines()[2:]
    return [(int(row.split()[3]), int(row.split()[4])) for row in rows if row.strip()]


def test_a_bad_seal_image_fails_the_render(certificate):
    with pytest.raises(Exception):  # noqa: B017 - Pillow's own error; the caller records it
        render_certificate(replace(certificate, seal=b"not an image"))


def test_missing_details_leave_out_their_clause(tmp_path, certificate):
    data = replace(certificate, enterprise="", role="", score="", id_number_masked="")
    text = squashed(text_of(write(tmp_path, render_certificate(data))))
    assert "兹证明王小明，参加“八抓20项”专题考试（第二期），成绩合格，特发此证。" in text


def test_render_certificates_yields_one_pdf_each(certificate):
    items = [replace(certificate, number=f"AP2026-TEST-{i:04d}") for i in range(3)]
    rendered = list(render_certificates(items))
    assert len(rendered) == 3 and all(pdf_bytes.startswith(b"%PDF-") for pdf_bytes in rendered)


# --- admission notices --------------------------------------------------------------------


def test_the_notice_shows_the_initial_password(tmp_path, notice):
    text = text_of(write(tmp_path, render_admission_notice(notice)))
    for expected in (
        "准考证",
        "李春燕",
        "ZK20261201-0042",
        "登录方式",
        "https://anpei.example.gov.cn",
        "13912345678",
        "初始密码",
        "Kp7-mZ42",
        "2026-12-01 09:00 至 2026-12-07 17:00",
        "90 分钟",
        "考试须知",
    ):
        assert expected in text, expected
    assert "请使用本人已设置的密码" not in text
    for number, rule in enumerate(RULES, start=1):
        assert f"{number}." in text
        assert rule in squashed(text)


def test_the_notice_without_password_says_to_use_ones_own(tmp_path, notice):
    text = text_of(write(tmp_path, render_admission_notice(replace(notice, initial_password=None))))
    assert "请使用本人已设置的密码" in text
    assert "Kp7-mZ42" not in text and "初始密码" not in text


def test_the_notice_qr_code_scans_to_the_site(tmp_path, notice):
    path = write(tmp_path, render_admission_notice(notice))
    run("pdftoppm", "-r", "150", "-png", "-singlefile", path, tmp_path / "page")
    assert run("zbarimg", "--raw", "-q", tmp_path / "page.png").split() == [notice.site_url]


def test_bulk_notices_have_one_page_per_candidate(tmp_path, notice):
    names = ["李春燕", "<b>王</b>&amp;", LONG_NAME]
    items = [
        replace(
            notice,
            candidate_name=name,
            number=f"ZK-{i}",
            initial_password=None if i == 1 else f"pw-{i}",
        )
        for i, name in enumerate(names)
    ]
    path = write(tmp_path, render_admission_notices(items))
    assert re.search(r"^Pages:\s+3$", run("pdfinfo", path), re.M)
    for page, name in enumerate(names, start=1):
        text = text_of(path, "-f", str(page), "-l", str(page))
        assert name in squashed(text)
        assert ("请使用本人已设置的密码" in text) == (page == 2)
    assert_inside_the_frame(path, margin=35)


def test_too_many_rules_are_referred_to_not_dropped_silently(tmp_path, notice):
    many = tuple(f"第{i}条须知：{RULES[i % 3]}" for i in range(40))
    path = write(tmp_path, render_admission_notice(replace(notice, rules=many)))
    assert re.search(r"^Pages:\s+1$", run("pdfinfo", path), re.M)
    assert "须知请登录考试系统查看" in text_of(path)
    assert_inside_the_frame(path, margin=35)


def test_no_notices_is_an_error():
    with pytest.raises(ValueError):
        render_admission_notices([])


# --- the module ---------------------------------------------------------------------------


def test_the_renderer_imports_no_flask():
    # The renderer is the certificate's and the admission notice's modules and the printing
    # primitives they draw with, which live in the core (exam.core.printing): their imports
    # of each other are the renderer's own.
    sources = [
        Path(pdf.__file__),
        Path(notice_pdf.__file__),
        *Path(printing.__file__).parent.glob("*.py"),
    ]
    trees = [ast.parse(source.read_text(encoding="utf-8")) for source in sources]
    nodes = [node for tree in trees for node in ast.walk(tree)]
    imported = {
        alias.name.split(".")[0]
        for node in nodes
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    imported |= {
        node.module.split(".")[0]
        for node in nodes
        if isinstance(node, ast.ImportFrom)
        and node.module
        and not node.module.startswith((printing.__name__, pdf.__name__))
    }
    assert not imported & {"flask", "werkzeug", "sqlalchemy", "flask_sqlalchemy", "exam"}

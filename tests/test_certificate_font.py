"""Where the certificates' Chinese font comes from: a system font found through fontconfig is
preferred, the pinned package's WenQuanYi Micro Hei is the fallback, the setting overrides both,
and the organisers' page says which one is in use. Each lookup runs in a fresh Python process
whose fontconfig sees only what the test gives it (FONTCONFIG_FILE)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import require_tool

from exam.auth.models import UserRole
from exam.core.printing import FontChoice, FontMissing, choose_font, packaged_font
from exam.core.printing.fonts import first_usable

ROOT = Path(__file__).resolve().parent.parent

#: Renders one certificate with the font the app would choose, writes it to argv[1] and prints
#: the choice as JSON.
RENDER = """
import dataclasses, json, sys
from datetime import date
from exam.certificates.pdf import CertificateData, render_certificate
from exam.core.printing import choose_font

data = CertificateData(
    number="AP2026-7K3M-Q9XD", authority="济南市历城区应急管理局", holder_name="王小明",
    id_number_masked="370102********1234", enterprise="济南华信化工有限公司", role="主要负责人",
    exam_title="“八抓20项”专题考试", score="92.0", issued_on=date(2026, 11, 27),
    valid_until=date(2029, 11, 26), verify_url="https://anpei.example.gov.cn/verify/AP2026",
)
with open(sys.argv[1], "wb") as out:
    out.write(render_certificate(data))
print(json.dumps(dataclasses.asdict(choose_font())))
"""


def fontconfig(tmp_path: Path, *font_dirs: Path) -> Path:
    """A fontconfig configuration that knows only the fonts in ``font_dirs`` (none at all when
    there are none: no system font directory, no user fonts)."""
    require_tool("fc-match", "fontconfig")
    dirs = "".join(f"<dir>{d}</dir>" for d in font_dirs)
    config = tmp_path / "fonts.conf"
    config.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">\n'
        f"<fontconfig>{dirs}<cachedir>{tmp_path / 'fc-cache'}</cachedir></fontconfig>\n",
        encoding="utf-8",
    )
    return config


def render_with(config: Path, tmp_path: Path) -> tuple[dict, Path]:
    """Render a certificate in a new process that sees fontconfig through ``config``."""
    env = {**os.environ, "FONTCONFIG_FILE": str(config), "HOME": str(tmp_path)}
    env.pop("FONTCONFIG_PATH", None)
    pdf = tmp_path / "certificate.pdf"
    done = subprocess.run(
        [sys.executable, "-c", RENDER, str(pdf)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout), pdf


def embedded_fonts(pdf: Path) -> list[list[str]]:
    """pdffonts' rows for ``pdf``: name … emb sub uni object ID."""
    listing = subprocess.run(
        [require_tool("pdffonts", "poppler-utils"), str(pdf)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    return [row.split() for row in listing.splitlines()[2:]]


def test_without_a_system_chinese_font_the_packaged_one_is_embedded(tmp_path):
    fallback = packaged_font()
    assert fallback is not None, "paperang-p2-fonts-cjk is not installed"
    choice, pdf = render_with(fontconfig(tmp_path), tmp_path)
    assert choice == {"path": fallback.path, "family": "WenQuanYi Micro Hei", "source": "packaged"}
    assert "site-packages" in choice["path"]
    rows = embedded_fonts(pdf)
    assert rows and all("+WenQuanYiMicroHei" in row[0] for row in rows), rows
    assert all(row[-5:-2] == ["yes", "yes", "yes"] for row in rows), rows  # emb sub uni


def test_a_system_chinese_font_is_preferred_to_the_packaged_one(tmp_path):
    # A "system" font directory holding a Chinese TrueType font (the packaged file, linked
    # under another name so the path shows which one was chosen).
    fonts = tmp_path / "system-fonts"
    fonts.mkdir()
    (fonts / "system-microhei.ttc").symlink_to(packaged_font().path)
    choice, pdf = render_with(fontconfig(tmp_path, fonts), tmp_path)
    assert choice == {
        "path": str(fonts / "system-microhei.ttc"),
        "family": "WenQuanYi Micro Hei",
        "source": "system",
    }
    rows = embedded_fonts(pdf)
    assert rows and all(row[-5:-2] == ["yes", "yes", "yes"] for row in rows), rows


def test_only_a_first_face_with_truetype_outlines_and_chinese_is_usable(tmp_path):
    font = tmp_path / "font.ttc"
    font.write_bytes(b"")
    zh = "en|ja|zh-cn|zh-sg"
    lines = {
        "no Chinese": f"{font}\t0\tTrueType\ten|de\tDejaVu Sans",
        "CFF outlines": f"{font}\t0\tCFF\t{zh}\tNoto Sans CJK SC",
        "second face": f"{font}\t1\tTrueType\t{zh}\tWenQuanYi Micro Hei Mono",
        "gone": f"{tmp_path / 'gone.ttf'}\t0\tTrueType\t{zh}\tGone",
    }
    for reason, line in lines.items():
        assert first_usable(line + "\n") is None, reason
    usable = f"{font}\t0\tTrueType\t{zh}\tWenQuanYi Micro Hei"
    listing = "\n".join([*lines.values(), usable, lines["no Chinese"]])
    assert first_usable(listing) == FontChoice(str(font), "WenQuanYi Micro Hei", "system")


def test_the_setting_overrides_system_and_packaged_fonts(tmp_path):
    latin = tmp_path / "chosen.ttc"
    latin.symlink_to(packaged_font().path)
    choice = choose_font(str(latin))
    assert (choice.path, choice.source) == (str(latin), "configured")
    assert choice.family == "WenQuanYi Micro Hei"  # as the file names itself
    with pytest.raises(FontMissing, match="does not exist"):
        choose_font(str(tmp_path / "nowhere.ttf"))


def test_the_certificate_page_says_which_font_is_in_use(app, client, login_as):
    login_as(UserRole.ORGANISER)
    page = client.get("/manage/certificates").get_data(as_text=True)
    assert "合格证明使用的字体：WenQuanYi Micro Hei" in page
    source = choose_font().source
    assert {"system": "fontconfig 找到的系统字体", "packaged": "paperang-p2-fonts-cjk"}[
        source
    ] in page


def test_the_certificate_page_says_when_no_font_is_usable(app, client, login_as, tmp_path):
    app.config["CERTIFICATE_FONT"] = str(tmp_path / "gone.ttf")
    login_as(UserRole.ADMIN)
    response = client.get("/manage/certificates")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "没有可用的中文字体" in page and "gone.ttf" in page

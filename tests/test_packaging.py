"""What the package is made of: the wheel carries the NOTICE with the font's real licence but no
font file, the demo's small video but no PyAV requirement; the build warns of no deprecation;
and the constraints file CI installs from pins every dependency pyproject.toml names."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
#: What a wheel is built from: the project's files, without local environments and leftovers.
NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", ".ci-venv", "venv", "build", "dist", "*.egg-info", "__pycache__",
    "instance", "test-artifacts", ".pytest_cache", ".ruff_cache", "node_modules",
)  # fmt: skip
FONT_LICENCE = "Apache-2.0 OR GPL-3.0-or-later WITH Font-exception-2.0"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> tuple[zipfile.ZipFile, str]:
    """The wheel pip builds from a copy of the project (as `pip install .` would), and the
    build's output."""
    tmp = tmp_path_factory.mktemp("wheel")
    shutil.copytree(ROOT, tmp / "src", ignore=NOT_SOURCE)
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-v", "-w", tmp / "dist", tmp / "src"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    (built,) = (tmp / "dist").glob("anpei-*.whl")
    with zipfile.ZipFile(built) as archive:
        yield archive, build.stdout + build.stderr


def test_the_wheel_carries_the_notice_with_the_fonts_licence(wheel):
    archive, _ = wheel
    names = archive.namelist()
    (notice,) = [n for n in names if re.fullmatch(r"anpei-[^/]+\.dist-info/licenses/NOTICE", n)]
    text = archive.read(notice).decode("utf-8")
    assert "WenQuanYi Micro Hei" in text and FONT_LICENCE in text
    assert not [n for n in names if n.lower().endswith((".ttf", ".ttc", ".otf", ".otc"))]
    (metadata,) = [n for n in names if n.endswith(".dist-info/METADATA")]
    fields = archive.read(metadata).decode("utf-8").split("\n\n", 1)[0].splitlines()
    assert "License-Expression: LicenseRef-Proprietary" in fields
    assert "License-File: NOTICE" in fields
    requires = [f.split(": ", 1)[1] for f in fields if f.startswith("Requires-Dist: ")]
    assert "paperang-p2-fonts-cjk==0.1.0" in requires
    assert not [r for r in requires if re.match(r"(alembic|av)\b", r, re.I)], requires


def test_the_wheel_carries_the_demo_video_small(wheel):
    archive, _ = wheel
    video = archive.getinfo("exam/demo/duties.webm")
    assert video.file_size < 400 * 1024
    assert archive.read(video)[:4] == b"\x1a\x45\xdf\xa3"  # EBML, as WebM starts


def test_the_build_warns_of_no_deprecation(wheel):
    _, output = wheel
    assert "Successfully built anpei" in output or "Saved" in output, output
    assert not [line for line in output.splitlines() if "deprecat" in line.lower()]


def test_the_constraints_pin_every_dependency_and_the_build_backend():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    named = [
        Requirement(r)
        for r in (
            *project["build-system"]["requires"],
            *project["project"]["dependencies"],
            *(r for extra in project["project"]["optional-dependencies"].values() for r in extra),
        )
    ]
    lines = (ROOT / "requirements" / "constraints.txt").read_text(encoding="utf-8").splitlines()
    pins = dict(line.lower().split("==", 1) for line in lines if re.match(r"\w", line))
    for requirement in named:
        name = re.sub(r"[-_.]+", "-", requirement.name).lower()
        if name == project["project"]["name"]:  # an extra naming another (bench: anpei[server])
            assert not any(line.startswith(f"{name} ") for line in lines), "Anpei pins itself"
            continue
        assert name in pins, f"{name} is not pinned: run scripts/refresh-constraints.sh"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            requirement,
            pins[name],
        )
    assert pins["paperang-p2-fonts-cjk"] == "0.1.0"
    fonts = (ROOT / "requirements" / "fonts.txt").read_text(encoding="utf-8")
    assert re.search(
        r"^paperang-p2-fonts-cjk==0\.1\.0 \\\n\s+--hash=sha256:[0-9a-f]{64}", fonts, re.M
    )

"""How fast certificates (合格证明) and admission notices (准考证) render.

    python benchmarks/certificates.py [--count 500] [--notices 200] [--font PATH] [--sample-dir DIR]

Renders N certificates, each with a different holder, number and verify URL, all with one seal
image (a red round "测试样章" drawn here with Pillow, with transparency), and prints
certificates per second and the average PDF size; then one bulk PDF of admission notices.
With --sample-dir it also writes one certificate and one notice there (PDF) to look at.
"""

from __future__ import annotations

import argparse
import io
import math
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1]))

from PIL import Image, ImageDraw, ImageFont  # noqa: E402

from exam.certificates.notice_pdf import AdmissionData, render_admission_notices  # noqa: E402
from exam.certificates.pdf import CertificateData, render_certificate  # noqa: E402
from exam.core.printing import font_path  # noqa: E402

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英"
ENTERPRISES = [
    "济南华信化工有限公司",
    "山东鲁源建筑工程集团有限公司",
    "历城区东方粉末冶金厂",
    "济南市历城区港沟街道安通危险品运输有限公司",
]
ROLES = ["主要负责人", "安全总监", "安全生产管理人员"]
ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
RULES = (
    "考生须在规定的考试时间内登录考试系统，逾期未参加考试的视为缺考。",
    "考试须本人独立完成，不得由他人代考，不得查阅资料或与他人交流；系统将随机抓拍。",
    "考试过程中不得切换页面或退出浏览器，累计切屏三次的，系统自动交卷。",
    "考试时长届满系统自动交卷；提前交卷后不得再次进入考试。",
    "网络中断后请在原设备重新登录，已作答内容不会丢失，剩余时间继续计时。",
    "成绩合格者由区应急管理局核发合格证明，可扫描证明上的二维码查验真伪。",
)


def make_seal(size: int = 600, font: str | None = None) -> bytes:
    """A red round sample seal (clearly marked 测试样章) on a transparent background."""
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    red = (200, 22, 30, 235)
    ring = size // 22
    draw.ellipse((ring, ring, size - ring, size - ring), outline=red, width=ring)
    _star(draw, size / 2, size / 2, size * 0.16, red)
    path = font or font_path()
    label = ImageFont.truetype(path, size // 9)
    draw.text(
        (size / 2, size * 0.76),
        "测试样章",
        font=label,
        fill=red,
        anchor="mm",
        stroke_width=1,
        stroke_fill=red,
    )
    _arc_text(image, "安培平台证书演示专用", ImageFont.truetype(path, size // 10), red)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _star(draw: ImageDraw.ImageDraw, x: float, y: float, radius: float, fill: tuple) -> None:
    points = []
    for i in range(10):
        r = radius if i % 2 == 0 else radius * 0.38
        angle = math.pi / 2 + i * math.pi / 5
        points.append((x + r * math.cos(angle), y - r * math.sin(angle)))
    draw.polygon(points, fill=fill)


def _arc_text(image: Image.Image, text: str, font: ImageFont.FreeTypeFont, fill: tuple) -> None:
    """Characters along the upper arc, each rotated to face the centre."""
    size = image.width
    radius = size * 0.35
    span = math.radians(230)
    for i, char in enumerate(text):
        angle = math.pi / 2 + span / 2 - span * i / max(len(text) - 1, 1)
        glyph = Image.new("RGBA", (size // 7, size // 7), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text(
            (glyph.width / 2, glyph.height / 2),
            char,
            font=font,
            fill=fill,
            anchor="mm",
            stroke_width=1,
            stroke_fill=fill,
        )
        glyph = glyph.rotate(math.degrees(angle - math.pi / 2), resample=Image.Resampling.BICUBIC)
        cx = size / 2 + radius * math.cos(angle)
        cy = size / 2 - radius * math.sin(angle)
        image.alpha_composite(glyph, (int(cx - glyph.width / 2), int(cy - glyph.height / 2)))


def make_number(rng: random.Random) -> str:
    def block() -> str:
        return "".join(rng.choice(ALPHABET) for _ in range(4))

    return f"AP2026-{block()}-{block()}"


def make_certificate(rng: random.Random, seal: bytes | None) -> CertificateData:
    number = make_number(rng)
    issued = date(2026, 11, 27) + timedelta(days=rng.randrange(30))
    return CertificateData(
        number=number,
        authority="济南市历城区应急管理局",
        holder_name=rng.choice(SURNAMES)
        + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2)))),
        id_number_masked=f"3701{rng.randrange(10, 99)}********{rng.randrange(1000, 9999)}",
        enterprise=rng.choice(ENTERPRISES),
        role=rng.choice(ROLES),
        exam_title="“八抓20项”专题考试（第二期）",
        score=f"{rng.randrange(80, 101)}.0",
        issued_on=issued,
        valid_until=issued.replace(year=issued.year + 3) - timedelta(days=1),
        verify_url=f"https://anpei.example.gov.cn/verify/{number}",
        seal=seal,
    )


def make_notice(rng: random.Random, index: int) -> AdmissionData:
    first_login = index % 3 == 0
    return AdmissionData(
        number=f"ZK2026120{index:05d}",
        authority="济南市历城区应急管理局",
        candidate_name=rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
        id_number_masked=f"3701{rng.randrange(10, 99)}********{rng.randrange(1000, 9999)}",
        enterprise=rng.choice(ENTERPRISES),
        role=rng.choice(ROLES),
        exam_title="“八抓20项”专题考试（第二期）",
        window="2026-12-01 09:00 至 2026-12-07 17:00",
        duration_minutes=90,
        site_url="https://anpei.example.gov.cn",
        login=f"1{rng.randrange(3000000000, 9999999999)}",
        initial_password=f"Ap{rng.randrange(100000, 999999)}x" if first_login else None,
        rules=RULES,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--notices", type=int, default=200)
    parser.add_argument("--font")
    parser.add_argument("--sample-dir", type=Path)
    args = parser.parse_args()
    rng = random.Random(2026)
    seal = make_seal(font=args.font)
    items = [make_certificate(rng, seal) for _ in range(args.count)]

    started = time.perf_counter()
    render_certificate(items[0], args.font)  # first render: font registration, seal decoding
    first = time.perf_counter() - started
    started, cpu = time.perf_counter(), time.process_time()
    sizes = [len(render_certificate(item, args.font)) for item in items]
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(f"first certificate (font load + seal): {first * 1000:.0f} ms")
    print(
        f"certificates: {len(items)} in {elapsed:.2f} s = {len(items) / elapsed:.1f}/s "
        f"({len(items) / cpu:.1f} per CPU-second; one process, one core), "
        f"average PDF {sum(sizes) / len(sizes) / 1024:.1f} KiB (seal {len(seal) / 1024:.1f} KiB PNG)"
    )

    notices = [make_notice(rng, i) for i in range(args.notices)]
    started = time.perf_counter()
    bulk = render_admission_notices(notices, args.font)
    elapsed = time.perf_counter() - started
    print(
        f"admission notices: {len(notices)} pages in {elapsed:.2f} s = {len(notices) / elapsed:.1f}/s, "
        f"one PDF of {len(bulk) / 1024:.0f} KiB"
    )

    if args.sample_dir:
        args.sample_dir.mkdir(parents=True, exist_ok=True)
        (args.sample_dir / "certificate.pdf").write_bytes(render_certificate(items[0], args.font))
        (args.sample_dir / "notice.pdf").write_bytes(
            render_admission_notices(notices[:1], args.font)
        )
        (args.sample_dir / "seal.png").write_bytes(seal)
        print(f"samples written to {args.sample_dir}")


if __name__ == "__main__":
    main()

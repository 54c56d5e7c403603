"""The one-page summary for the district people's congress (关于全区安全生产专题考试和培训情况的
报告): the exam figures, a chart of pass rates by sector, the training and screening totals,
signed with the bureau's name and the date.

``Summary`` is plain data; ``summary_from_dashboard`` fills it from the reports' figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from reportlab.lib.colors import HexColor
from reportlab.lib.enums import TA_JUSTIFY
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import KeepTogether, Spacer
from reportlab.platypus import Paragraph as RLParagraph
from reportlab.platypus.flowables import HRFlowable

from exam.core.printing import chinese_date
from exam.reports.render.chart_blocks import Chart
from exam.reports.render.charts import bar_chart
from exam.reports.render.pdf import (
    Heading,
    Paragraph,
    TableBlock,
    context_defaults,
    flowables,
    render_counted,
    text,
)

RED = HexColor("#B81C22")


@dataclass(frozen=True)
class Summary:
    """The figures of the summary; rates are percentages (0-100), None where nobody sat."""

    date_from: date
    date_to: date
    exams_held: int
    candidates: int
    first_pass_rate: float | None
    final_pass_rate: float | None
    not_passed: int
    certificates_valid: int
    certificates_expiring: int
    training_sessions: int
    training_person_times: int
    screenings: int
    screening_person_times: int
    onsite_hours: float
    online_hours: float
    #: (sector, final pass rate %) in the order to chart them.
    sector_rates: tuple[tuple[str, float | None], ...] = field(default_factory=tuple)
    #: Candidacies with no attempt (缺考), when known.
    no_shows: int | None = None
    #: Scores cancelled (作废), counted in no rate.
    cancelled: int = 0
    #: Of ``not_passed``, the people some exam expected (the rest were never scheduled), when
    #: known: the summary then states the two numbers apart.
    not_passed_expected: int | None = None
    #: A makeup exam (or an exam) of the period is still to come or open: the final rate is
    #: provisional (暂计, 截至目前).
    makeup_open: bool = False
    #: Each campaign of the year in the bureau's words (``render.campaigns.campaign_sentence``).
    campaigns: tuple[str, ...] = ()
    #: Training per sector: (sector, sessions, person-times) in the bureau's order.
    training_by_sector: tuple[tuple[str, int, int], ...] = field(default_factory=tuple)
    #: Enterprises that must have a safety director, and those that have one (when known).
    directors_required: int | None = None
    directors_appointed: int | None = None


def percent(rate: float | None) -> str:
    """A rate as printed in the report: one decimal place, a dash when there is none."""
    return "—" if rate is None else f"{rate:.1f}%"


def hours(value: float) -> str:
    """Hours as printed: whole hours plain, else one decimal place."""
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def _period(summary: Summary) -> str:
    return _(
        "from %(start)s to %(end)s",
        start=chinese_date(summary.date_from),
        end=chinese_date(summary.date_to),
    )


def _exam_paragraph(summary: Summary) -> str:
    """The exams: the base (应考, 实考, 缺考, cancelled apart), the rates (the final one
    provisional while a makeup is open), who has not passed, and the certificates."""
    return (
        _held(summary)
        + _(". ")
        + _rates(summary)
        + _left(summary)
        + _certificates(summary)
        + _directors(summary)
    )


def _held(summary: Summary) -> str:
    if summary.no_shows is None:
        return _(
            "%(period)s, the district held %(exams)s special safety-production exams for "
            "principal leaders, safety directors and safety managers, with %(candidates)s "
            "candidacies",
            period=_period(summary),
            exams=summary.exams_held,
            candidates=summary.candidates,
        )
    held = _(
        "%(period)s, the district held %(exams)s special safety-production exams for "
        "principal leaders, safety directors and safety managers: %(candidates)s "
        "person-times expected, %(sat)s sat and %(absent)s absent",
        period=_period(summary),
        exams=summary.exams_held,
        candidates=summary.candidates,
        sat=summary.candidates - summary.no_shows,
        absent=summary.no_shows,
    )
    if summary.cancelled:
        held += _("; %(count)s scores were cancelled", count=summary.cancelled)
    return held


def _rates(summary: Summary) -> str:
    if summary.makeup_open:
        return _(
            "The first-attempt pass rate was %(first)s; the makeup exams are not over, and the "
            "final pass rate so far is %(final)s (provisional). ",
            first=percent(summary.first_pass_rate),
            final=percent(summary.final_pass_rate),
        )
    return _(
        "The first-attempt pass rate was %(first)s and the final pass rate after makeup "
        "exams %(final)s. ",
        first=percent(summary.first_pass_rate),
        final=percent(summary.final_pass_rate),
    )


def _left(summary: Summary) -> str:
    """Who has not passed: those the exams expected, and apart those never scheduled."""
    if summary.not_passed_expected is None:
        return _("%(left)s people have not yet passed. ", left=summary.not_passed)
    left = _(
        "Of the people the exams expected, %(left)s have not yet passed",
        left=summary.not_passed_expected,
    )
    unscheduled = summary.not_passed - summary.not_passed_expected
    if unscheduled:
        left += _(
            "; %(count)s more people in a required post have not yet been scheduled for an exam",
            count=unscheduled,
        )
    return left + _(". ")


def _certificates(summary: Summary) -> str:
    if summary.certificates_expiring:
        return _(
            "%(valid)s certificates are valid, of which %(expiring)s expire soon and "
            "are being renewed.",
            valid=summary.certificates_valid,
            expiring=summary.certificates_expiring,
        )
    return _("%(valid)s certificates are valid.", valid=summary.certificates_valid)


def _directors(summary: Summary) -> str:
    if summary.directors_required is None:
        return ""
    return _(
        " %(required)s enterprises must have a safety director; %(appointed)s have one.",
        required=summary.directors_required,
        appointed=summary.directors_appointed or 0,
    )


def _training_paragraph(summary: Summary) -> str:
    return _(
        "The bureau and its sector sections held %(sessions)s training sessions "
        "(%(session_people)s person-times) and %(screenings)s warning-education film "
        "screenings (%(screening_people)s person-times of cadres and workers). Training hours "
        "credited: %(onsite)s hours on site and %(online)s hours of online study.",
        sessions=summary.training_sessions,
        session_people=summary.training_person_times,
        screenings=summary.screenings,
        screening_people=summary.screening_person_times,
        onsite=hours(summary.onsite_hours),
        online=hours(summary.online_hours),
    ) + _by_sector(summary)


def _by_sector(summary: Summary) -> str:
    """Sessions and person-times of each sector's special training, as one sentence."""
    parts = [
        _(
            "%(sector)s %(sessions)s sessions (%(people)s person-times)",
            sector=name,
            sessions=n,
            people=p,
        )
        for name, n, p in summary.training_by_sector
    ]
    if not parts:
        return ""
    return _(" By sector: %(parts)s.", parts=_("; ").join(parts))


def _next_steps(summary: Summary) -> str:
    if summary.not_passed:
        return _(
            "Each of the %(left)s people not yet passed will be followed up and enrolled in "
            "training and the next exam, so that principal leaders, safety directors and "
            "safety managers reach the province's 100%% pass target.",
            left=summary.not_passed,
        )
    return _(
        "Every person required to sit the exam has passed; the bureau will keep "
        "certificates renewed and retraining hours complete."
    )


def summary_blocks(summary: Summary, width: float, chart_height: float = 360) -> list:
    """The body of the summary as report blocks; the chart at most ``chart_height`` high."""
    labels = [sector for sector, _rate in summary.sector_rates]
    values = [rate for _sector, rate in summary.sector_rates]
    drawing = bar_chart(
        labels,
        values,
        title=_("Final pass rate by sector"),
        unit="%",
        width=int(width * 0.85),
        height=min(200, 40 + 18 * max(1, len(labels))),
    )
    # (bar_chart makes the drawing taller for many sectors; Chart shrinks it to fit.)
    totals = TableBlock(
        [
            _("Sessions held"),
            _("Training person-times"),
            _("Film screenings"),
            _("Screening person-times"),
            _("Hours attended (sessions, screenings, outside training)"),
            _("Online hours"),
        ],
        [
            [
                summary.training_sessions,
                summary.training_person_times,
                summary.screenings,
                summary.screening_person_times,
                float(summary.onsite_hours),
                float(summary.online_hours),
            ]
        ],
        centred=True,
    )
    return [
        Heading(_("I. The special exams")),
        Paragraph(_exam_paragraph(summary), indent=True),
        *(Paragraph(sentence, indent=True) for sentence in summary.campaigns),
        Chart(drawing, max_height=chart_height),
        Heading(_("II. Training and warning education")),
        Paragraph(_training_paragraph(summary), indent=True),
        totals,
        Heading(_("III. Next steps")),
        Paragraph(_next_steps(summary), indent=True),
    ]


def summary_title(summary: Summary) -> str:
    """The report's title, naming its year."""
    return _(
        "Report on the district's special safety-production exams and training in %(year)s",
        year=summary.date_to.year,
    )


#: Sizes tried in turn until the summary fits one page (many sectors make a tall chart).
SCALES = (1.0, 0.92, 0.84, 0.76, 0.68, 0.6)


def summary_pdf(summary: Summary, *, bureau: str | None = None, today: date | None = None) -> bytes:
    """The one-page summary as PDF: set smaller until it fits one page."""
    bureau, today = context_defaults(bureau, today)
    title = summary_title(summary)
    for scale in SCALES:
        pdf, pages = render_counted(
            _story(summary, title, bureau, today, scale),
            title=title,
            bureau=bureau,
            today=today,
            decorate=False,
        )
        if pages == 1:
            break
    return pdf


def _story(summary: Summary, title: str, bureau: str, today: date, scale: float):
    """The summary's flowables at ``scale`` (1: body text at 12 pt)."""

    def size(points: float) -> dict:
        return {"fontSize": points * scale, "leading": points * scale * 5 / 3}

    def story(font, style, width):
        # Official reports: a red masthead, justified paragraphs, first lines and headings
        # indented by two characters, the issuer and date at the foot on the right.
        body = ParagraphStyle(
            "summary",
            style["indented"],
            **size(12),
            firstLineIndent=24 * scale,
            alignment=TA_JUSTIFY,
        )
        style = {
            **style,
            "indented": body,
            "h1": ParagraphStyle(
                "h1",
                style["h1"],
                **size(13),
                firstLineIndent=24 * scale,
                spaceBefore=6 * scale,
                spaceAfter=2,
                textColor=HexColor("#1E1E1E"),
            ),
        }
        masthead = ParagraphStyle(
            "masthead", style["title"], fontSize=22, leading=28, textColor=RED, spaceAfter=2
        )
        signature = ParagraphStyle("sig", style["signature"], **size(12), rightIndent=24)
        head = [
            RLParagraph(text(bureau), masthead),
            HRFlowable(width="100%", thickness=1.6, color=RED, spaceBefore=2, spaceAfter=1),
            HRFlowable(width="100%", thickness=0.5, color=RED, spaceAfter=10 * scale),
            RLParagraph(
                text(title), ParagraphStyle("t", style["title"], **size(16), spaceAfter=10 * scale)
            ),
            RLParagraph(
                text(_("To the Standing Committee of the District People's Congress:")),
                ParagraphStyle("to", style["body"], **size(12)),
            ),
            RLParagraph(
                text(
                    _(
                        "The bureau reports on the special safety-production exams and "
                        "training %(period)s as follows.",
                        period=_period(summary),
                    )
                ),
                body,
            ),
        ]
        tail = KeepTogether(
            [
                Spacer(1, 14 * scale),
                RLParagraph(text(bureau), signature),
                RLParagraph(text(chinese_date(today)), signature),
            ]
        )
        blocks = summary_blocks(summary, width, chart_height=360 * scale)
        return head + flowables(blocks, style, width) + [tail]

    return story

"""A campaign and the exams (rounds) it groups."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exam.core.extensions import db
from exam.core.timeutil import UTCDateTime, utcnow


class Campaign(db.Model):
    """A named series of exams the bureau reports on together, e.g. 2026年“八抓”20项系列创新
    举措专题考试 with its 第一期 and 第二期 and their makeups."""

    id: Mapped[int] = mapped_column(primary_key=True)
    #: What the exams are, as the bureau's report names them ("参加{name}").
    name: Mapped[str] = mapped_column(String(200))
    year: Mapped[int] = mapped_column(index=True)
    #: A part of the year in the bureau's words (上半年, 第三季度); empty: the whole year.
    period: Mapped[str | None] = mapped_column(String(50))
    description: Mapped[str | None] = mapped_column(Text)
    #: The part of the district it is for: {"sector_ids": [...], "town_ids": [...]}; an empty
    #: list does not restrict. Its rounds lie within it; organisers manage it within their scope.
    reach: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    rounds: Mapped[list[CampaignExam]] = relationship(
        back_populates="campaign", cascade="all, delete-orphan"
    )


class CampaignExam(db.Model):
    """An original exam (a round) in a campaign; its makeup follows it. An exam is in at most
    one campaign (the exam is the key)."""

    exam_id: Mapped[int] = mapped_column(
        ForeignKey("exam.id", ondelete="CASCADE"), primary_key=True
    )
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaign.id", ondelete="CASCADE"), index=True
    )
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    campaign: Mapped[Campaign] = relationship(back_populates="rounds")
    exam = relationship("Exam")

"""Training sessions as a calendar: the .ics file calendar applications read."""

from __future__ import annotations

from flask import (
    Response,
    current_app,
    request,
)

from exam.training.models import Mode, TrainingSession


def ics_response(sessions: list[TrainingSession], name: str) -> Response:
    from icalendar import Calendar, Event

    cal = Calendar()
    cal.add("prodid", "-//Anpei//training sessions//ZH")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", name)
    host = (current_app.config.get("SITE_URL") or request.host_url).rstrip("/").split("//")[-1]
    for session in sessions:
        event = Event()
        event.add("uid", f"training-{session.id}@{host}")
        event.add(
            "summary", session.title + (f"（{session.hours:g}学时）" if session.hours else "")
        )
        event.add("dtstart", session.starts_at)
        event.add("dtend", session.ends_at)
        event.add("dtstamp", session.created_at)
        # The meeting link is never published: invited people find it on their own page.
        event.add(
            "location",
            session.venue if session.mode == Mode.ONSITE else str(Mode.LABELS[Mode.ONLINE]),
        )
        event.add(
            "description",
            "\n".join(
                filter(
                    None,
                    [
                        session.lecturer and f"主讲：{session.lecturer}",
                        session.organising_unit and f"主办：{session.organising_unit}",
                        session.description,
                    ],
                )
            ),
        )
        if session.cancelled_at is not None:
            event.add("status", "CANCELLED")
        cal.add_component(event)
    return Response(
        cal.to_ical(),
        mimetype="text/calendar",
        headers={"Content-Disposition": "inline; filename=training.ics"},
    )

"""Organisers' pages for campaigns: the list, the form, and the rounds (exams) of each.

The figures of a campaign are the reports' (``reports.campaign``); these pages only say what
the campaign is and which exams are its rounds."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from exam.accounts.forms import ActionForm
from exam.auth.access import MANAGERS, roles_required
from exam.campaigns import services
from exam.campaigns.access import get_campaign_or_404, managed_campaigns
from exam.campaigns.errors import CampaignError
from exam.campaigns.forms import CampaignForm, RoundForm
from exam.campaigns.models import Campaign
from exam.core.extensions import db
from exam.core.forms import options, put_on_form
from exam.core.i18n import select_locale
from exam.core.timeutil import local_today, utcnow
from exam.exams.models import ExamStatus
from exam.people.models import Sector, Town
from exam.people.scope import current_scope


@roles_required(*MANAGERS)
def index():
    campaigns = managed_campaigns()
    return render_template(
        "campaigns/index.html",
        campaigns=campaigns,
        rounds={c.id: len(c.rounds) for c in campaigns},
    )


def _form(campaign: Campaign | None) -> CampaignForm:
    """The form, offering the sectors and towns/streets within the user's scope."""
    form = CampaignForm()
    sectors, towns = current_scope().limits
    form.sector_ids.choices = options(
        (s.id, s.display_name(select_locale()))
        for s in db.session.scalars(select(Sector).order_by(Sector.sort_order))
        if sectors is None or s.id in sectors
    )
    form.town_ids.choices = options(
        (t.id, t.name)
        for t in db.session.scalars(select(Town).order_by(Town.sort_order))
        if towns is None or t.id in towns
    )
    if not form.is_submitted():
        if campaign is None:
            form.year.data = local_today().year
        else:
            form.name.data, form.year.data = campaign.name, campaign.year
            form.period.data, form.description.data = campaign.period, campaign.description
            form.sector_ids.data = (campaign.reach or {}).get("sector_ids", [])
            form.town_ids.data = (campaign.reach or {}).get("town_ids", [])
    return form


@roles_required(*MANAGERS)
def edit(campaign_id: int | None):
    campaign = get_campaign_or_404(campaign_id) if campaign_id is not None else None
    form = _form(campaign)
    if form.validate_on_submit():
        values = services.CampaignValues(
            name=form.name.data,
            year=form.year.data,
            period=form.period.data,
            description=form.description.data,
            sector_ids=tuple(form.sector_ids.data or ()),
            town_ids=tuple(form.town_ids.data or ()),
        )
        try:
            campaign = services.save_campaign(campaign, values, current_user)
        except CampaignError as refused:
            db.session.rollback()
            put_on_form(form, refused)
        else:
            db.session.commit()
            flash(_("Campaign saved."), "success")
            return redirect(url_for("campaigns.detail", campaign_id=campaign.id))
    return render_template("campaigns/edit.html", form=form, campaign=campaign)


def _round_form(campaign: Campaign) -> RoundForm:
    form = RoundForm()
    form.exam_id.choices = options(
        (e.id, f"{e.title}（{e.opens_at:%Y-%m-%d}）")
        for e in services.candidate_rounds(campaign, current_user)
    )
    return form


@roles_required(*MANAGERS)
def detail(campaign_id: int):
    campaign = get_campaign_or_404(campaign_id)
    return render_template(
        "campaigns/detail.html",
        campaign=campaign,
        rounds=services.rounds_of(campaign),
        form=_round_form(campaign),
        action=ActionForm(),
        now=utcnow(),
        ExamStatus=ExamStatus,
    )


@roles_required(*MANAGERS)
def add_round(campaign_id: int):
    campaign = get_campaign_or_404(campaign_id)
    form = _round_form(campaign)
    if not form.validate_on_submit():
        flash(_("Choose an exam to add."), "warning")
        return redirect(url_for("campaigns.detail", campaign_id=campaign.id))
    try:
        services.add_round(campaign, form.exam_id.data, current_user)
    except CampaignError as refused:
        db.session.rollback()
        flash(refused.message, "danger")
    else:
        db.session.commit()
        flash(_("Exam added to the campaign."), "success")
    return redirect(url_for("campaigns.detail", campaign_id=campaign.id))


@roles_required(*MANAGERS)
def remove_round(campaign_id: int, exam_id: int):
    campaign = get_campaign_or_404(campaign_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if not services.remove_round(campaign, exam_id):
        abort(404)
    db.session.commit()
    flash(_("Exam taken out of the campaign; the exam itself is kept."), "success")
    return redirect(url_for("campaigns.detail", campaign_id=campaign.id))


@roles_required(*MANAGERS)
def delete(campaign_id: int):
    campaign = get_campaign_or_404(campaign_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    services.delete_campaign(campaign)
    db.session.commit()
    flash(_("Campaign deleted; its exams are kept."), "success")
    return redirect(url_for("campaigns.index"))

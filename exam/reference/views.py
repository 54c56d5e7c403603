"""Sectors and towns: lists the bureau keeps up to date."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, IntegerField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from exam.audit.services import apply_changes, record
from exam.auth.access import roles_required
from exam.auth.models import UserRole
from exam.core.extensions import db
from exam.people.models import Sector, Town


class SectorForm(FlaskForm):
    name = StringField(_l("Name (Chinese)"), validators=[DataRequired(), Length(max=60)])
    name_en = StringField(_l("Name (English)"), validators=[Optional(), Length(max=80)])
    code = StringField(
        _l("Code"),
        validators=[
            DataRequired(),
            Length(max=40),
            Regexp(r"^[a-z][a-z0-9_]*$", message=_l("Lower-case letters, digits and underscores.")),
        ],
    )
    high_risk = BooleanField(_l("High-risk sector (stricter training hours)"))
    requires_safety_director = BooleanField(
        _l("Enterprises in this sector must have a safety director")
    )
    sort_order = IntegerField(
        _l("Order"), default=0, validators=[Optional(), NumberRange(-9999, 9999)]
    )
    submit = SubmitField(_l("Save"))


class TownForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=60)])
    sort_order = IntegerField(
        _l("Order"), default=0, validators=[Optional(), NumberRange(-9999, 9999)]
    )
    submit = SubmitField(_l("Save"))


KINDS = {
    "sector": (
        Sector,
        SectorForm,
        (
            "name",
            "name_en",
            "code",
            "high_risk",
            "requires_safety_director",
            "sort_order",
        ),
    ),
    "town": (Town, TownForm, ("name", "sort_order")),
}


@roles_required(UserRole.ADMIN)
def index():
    sectors = db.session.scalars(select(Sector).order_by(Sector.sort_order)).all()
    towns = db.session.scalars(select(Town).order_by(Town.sort_order, Town.name)).all()
    return render_template("reference/index.html", sectors=sectors, towns=towns)


@roles_required(UserRole.ADMIN)
def edit(kind: str, item_id: int | None):
    if kind not in KINDS:
        abort(404)
    model, form_class, fields = KINDS[kind]
    item = db.session.get(model, item_id) if item_id else None
    if item_id and item is None:
        abort(404)
    form = form_class(obj=item)
    if form.validate_on_submit():
        values = {
            f: getattr(form, f).data if getattr(form, f).data is not None else 0 for f in fields
        }
        unique = [f for f in ("name", "code") if f in values]
        clash = next(
            (
                f
                for f in unique
                if db.session.scalar(
                    select(model).where(
                        getattr(model, f) == values[f], model.id != (item.id if item else -1)
                    )
                )
            ),
            None,
        )
        if clash:
            getattr(form, clash).errors.append(_("This is already in use."))
        else:
            if item is None:
                item = model(**values)
                db.session.add(item)
                record(f"{kind}.create", item, values["name"])
            elif changes := apply_changes(item, values):
                record(f"{kind}.update", item, item.name, changes)
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("reference.index"))
    return render_template("reference/form.html", form=form, item=item, kind=kind)

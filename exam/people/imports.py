"""Bulk import (check, then confirm) and export of the register as spreadsheets."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from exam.auth.access import roles_required
from exam.auth.models import UserRole
from exam.core.extensions import db
from exam.core.timeutil import local_today
from exam.core.uploads import claim_pending, download, keep_pending
from exam.people import services
from exam.people.forms import ConfirmImportForm, ImportForm
from exam.people.importing import (
    ENTERPRISE_COLUMNS,
    PEOPLE_COLUMNS,
    ImportPlan,
)
from exam.people.models import Person, Sector
from exam.people.spreadsheets import export_tables, plan_for_upload
from question_bank.spreadsheets import (
    Table,
    write_csv,
    write_xlsx,
)

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _preview_counts(plan: ImportPlan) -> dict:
    """How many rows of the plan are new and how many already registered."""
    known_codes = services.lookups().credit_codes
    known_ids = set(
        db.session.scalars(
            select(Person.id_number).where(Person.id_number.in_([p.id_number for p in plan.people]))
        )
    )
    return {
        "enterprises_new": sum(e.credit_code not in known_codes for e in plan.enterprises),
        "enterprises_known": sum(e.credit_code in known_codes for e in plan.enterprises),
        "people_new": sum(p.id_number not in known_ids for p in plan.people),
        "people_known": sum(p.id_number in known_ids for p in plan.people),
    }


@roles_required(UserRole.ADMIN)
def import_upload():
    form = ImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        limit = current_app.config["MAX_UPLOAD_MB"] * 1024 * 1024
        data = upload.read(limit + 1)
        if len(data) > limit:
            form.file.errors.append(
                _(
                    "The file is larger than the %(mb)s MB allowed.",
                    mb=current_app.config["MAX_UPLOAD_MB"],
                )
            )
            return render_template("people/import.html", form=form)
        filename = (upload.filename or "")[:200]
        plan = plan_for_upload(filename, data)
        if not plan.ok:
            return render_template(
                "people/import.html", form=form, plan=plan, filename=filename
            ), 422
        pending = keep_pending(current_user, "people", filename, data)
        db.session.commit()
        return render_template(
            "people/import_preview.html",
            plan=plan,
            filename=filename,
            counts=_preview_counts(plan),
            confirm=ConfirmImportForm(token=pending.token),
        )
    return render_template("people/import.html", form=form)


@roles_required(UserRole.ADMIN)
def import_confirm():
    form = ConfirmImportForm()
    pending = claim_pending(form.validate_on_submit() and form.token.data, current_user, "people")
    if pending is None:
        return redirect(url_for("people.import_upload"))
    filename, data = pending.filename, pending.data
    # Check again: the register may have changed since the preview.
    plan = plan_for_upload(filename, data)
    if not plan.ok:
        db.session.commit()  # the upload is used up either way
        return render_template(
            "people/import.html", form=ImportForm(), plan=plan, filename=filename
        ), 422
    report = services.apply_import(plan, local_today())
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        flash(
            _(
                "Someone else changed the same records at the same moment; nothing was "
                "imported. Upload the file again."
            ),
            "warning",
        )
        return redirect(url_for("people.import_upload"))
    return render_template("people/import_done.html", report=report, filename=filename)


def _template_tables() -> list[Table]:
    notes = [
        _("How to fill in this template"),
        _(
            "1. Sheet “企业”: one row per enterprise. Sectors: one or more of %(sectors)s, separated by 、",
            sectors="、".join(db.session.scalars(select(Sector.name).order_by(Sector.sort_order))),
        ),
        _(
            "2. Sheet “人员”: one row per person. Post: 主要负责人, 安全总监 or 安全生产管理人员. "
            "The enterprise is named by its credit code."
        ),
        _(
            "3. Keep the first row of each sheet. Rows are matched by credit code and ID number, "
            "so importing the same file again changes nothing."
        ),
        _("4. Columns marked * must be filled in. Dates like 2024-03-01."),
    ]
    return [
        Table(
            "企业",
            [c.header + ("*" if c.required else "") for c in ENTERPRISE_COLUMNS],
            [],
            [c.width for c in ENTERPRISE_COLUMNS],
            text_columns=[1, 6],
            text_rows=500,
        ),
        Table(
            "人员",
            [c.header + ("*" if c.required else "") for c in PEOPLE_COLUMNS],
            [],
            [c.width for c in PEOPLE_COLUMNS],
            text_columns=[1, 2, 4],
            text_rows=1000,
        ),
        Table("说明", [], [], notes=[str(n) for n in notes]),
    ]


@roles_required(UserRole.ADMIN)
def import_template():
    return download(write_xlsx(_template_tables()), "安培-企业人员导入模板.xlsx", XLSX_MIME)


@roles_required(UserRole.ADMIN)
def import_template_csv(kind: str):
    columns = {"enterprises": ENTERPRISE_COLUMNS, "people": PEOPLE_COLUMNS}.get(kind)
    if columns is None:
        return redirect(url_for("people.import_upload"))
    table = Table(kind, [c.header + ("*" if c.required else "") for c in columns], [])
    name = {"enterprises": "企业", "people": "人员"}[kind]
    return download(write_csv(table), f"安培-{name}导入模板.csv", "text/csv")


@roles_required(UserRole.ADMIN, UserRole.ORGANISER, UserRole.CONTACT)
def export():
    filename = f"安培-企业人员-{local_today().isoformat()}.xlsx"
    return download(write_xlsx(export_tables(current_user)), filename, XLSX_MIME)

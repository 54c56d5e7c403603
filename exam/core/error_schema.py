"""The API's error body as its OpenAPI document declares it: the one error dialect that
``exam.core.errors.api_error`` sends, ``{"error": {"code": ..., "message": ...}}``."""

from __future__ import annotations

from functools import cache

from marshmallow import Schema, fields, validate

CODE = "stable: a client acts on it (tests assert it)"


def _extras(status: int | None) -> dict[str, fields.Field]:
    """The members an error of ``status`` carries besides its code and message (all of them,
    optional, for None): ``api_error``'s extras."""
    extras = {
        400: {
            "csrf_token": fields.String(
                metadata={"description": "code csrf: a fresh token to send the request again with"}
            )
        },
        422: {
            "fields": fields.Dict(
                keys=fields.String(),
                values=fields.List(fields.String()),
                required=status == 422,
                metadata={
                    "description": "what is wrong with each member of the request (body: the "
                    "request body as a whole)"
                },
            )
        },
        503: {
            "reason": fields.String(
                validate=validate.OneOf(("missing", "behind", "unknown")),
                metadata={
                    "description": "code not_initialised: the database has no schema (missing), "
                    "an older one (behind) or a newer one (unknown); run `anpei db upgrade`"
                },
            )
        },
        429: {
            "retry_minutes": fields.Integer(
                metadata={"description": "minutes before a login may be tried again"}
            )
        },
    }
    if status is None:
        return {name: field for members in extras.values() for name, field in members.items()}
    return extras.get(status, {})


class ErrorDetail(Schema):
    code = fields.String(required=True, metadata={"description": CODE})
    message = fields.String(
        required=True, metadata={"description": "what to tell the user, in their language"}
    )


#: Any error's members: the document's default error schema (flask-smorest's ERROR_SCHEMA).
ErrorOut = type(
    "ErrorOut",
    (Schema,),
    {"error": fields.Nested(type("ErrorOutDetail", (ErrorDetail,), _extras(None)), required=True)},
)


@cache
def error_schema(status: int, codes: tuple[str, ...]) -> type[Schema]:
    """The error body of one HTTP status: its code one of ``codes`` (a closed list), and the
    members an error of that status carries. One class per status, named ``Error<status>``."""
    code = fields.String(
        required=True, validate=validate.OneOf(codes), metadata={"description": CODE}
    )
    detail = type(f"Error{status}Detail", (ErrorDetail,), {"code": code, **_extras(status)})
    return type(f"Error{status}", (Schema,), {"error": fields.Nested(detail, required=True)})

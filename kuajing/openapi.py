"""The OpenAPI document describes the error answers as they are: RFC 9457 problem details.

FastAPI describes every 422 as its own ``HTTPValidationError`` (``{"detail": [...]}`` in
``application/json``); the platform answers ``application/problem+json`` with a stable ``code`` and
``errors[]`` (``kuajing.errors``, ``kuajing.app``). :func:`describe_problems` rewrites the generated
document once: every 4xx/5xx answer becomes a ``Problem``, and every operation with a JSON body lists its
400 (``malformed_json``), 415 (``unsupported_media_type``) and 422 (``validation_failed``).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

PROBLEM_JSON = "application/problem+json"
_REF = "#/components/schemas/{model}"


class ProblemIssue(BaseModel):
    """One problem with one field."""

    code: str = Field(..., description="stable code of this field's problem, e.g. `wrong_type`, `CEB-FIELD-MISSING`")
    path: str = Field(..., description="the field: keys joined with `/`, list positions 1-based (`records[1]/items[2]/qty`)")
    value: Any = Field(None, description="the offending value (null for a missing field; personal data masked, "
                                         "long texts cut)")
    message: str = Field(..., description="what is wrong, in the request's language")


class Problem(BaseModel):
    """RFC 9457 problem details, the answer of every error (`application/problem+json`)."""

    type: str = Field(..., examples=["/docs/api#error-validation_failed"])
    title: str = Field(..., description="in the request's language")
    status: int
    code: str = Field(..., description="stable error code: program against this", examples=["validation_failed"])
    detail: str | None = Field(None, description="in the request's language")
    instance: str | None = Field(None, description="the request path")
    errors: list[ProblemIssue] = Field(default_factory=list)


_GENERIC = {
    "400": "Bad request: `malformed_json` (the body is not valid JSON) or a domain code",
    "415": "`unsupported_media_type`: the body is not sent as JSON (`Content-Type: application/json`)",
    "422": "`validation_failed`: one or more fields are invalid; see `errors[]`",
}


def _problem_content() -> dict[str, Any]:
    return {PROBLEM_JSON: {"schema": {"$ref": _REF.format(model="Problem")}}}


def describe_problems(schema: dict[str, Any]) -> dict[str, Any]:
    """Rewrite ``schema`` (an OpenAPI document FastAPI generated) in place so its errors are problem details."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    generated = Problem.model_json_schema(ref_template=_REF)
    components.update(generated.pop("$defs", {}))
    components["Problem"] = generated
    for ops in schema.get("paths", {}).values():
        for op in ops.values():
            if not isinstance(op, dict) or "responses" not in op:
                continue
            responses = op["responses"]
            body = op.get("requestBody", {}).get("content", {})
            if "application/json" in body:  # a JSON body: unreadable JSON, wrong content type, invalid fields
                for status in ("400", "415", "422"):
                    responses.setdefault(status, {"description": _GENERIC[status]})
            for status, answer in responses.items():
                if status[:1] not in ("4", "5"):
                    continue
                if status == "422" and answer.get("description") == "Validation Error":
                    answer["description"] = _GENERIC["422"]
                content = answer.get("content") or {}
                content.pop("application/json", None)
                content.update(_problem_content())
                answer["content"] = content
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    return schema

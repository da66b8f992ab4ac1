"""The stable `type` URIs of the API's problem details: each answers with what the error means."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from app.auth.access import requires
from app.auth.rules import Need
from app.core.errors import PROBLEM_TYPES, NotFound, problem_type

router = APIRouter(prefix="/problems", tags=["service"])


class ProblemType(BaseModel):
    type: str = Field(description="the URI problem documents of this kind carry in `type`")
    title: str = Field(description="the `title` they carry")
    description: str = Field(description="what the error means and what to do about it")


def _describe(kind: str) -> ProblemType:
    title, description = PROBLEM_TYPES[kind]
    return ProblemType(type=problem_type(kind), title=title, description=description)


@router.get("", response_model=list[ProblemType], dependencies=[requires(Need.PUBLIC)])
def list_problem_types() -> list[ProblemType]:
    """Every kind of error this API answers with, by its stable `type` URI."""
    return [_describe(kind) for kind in PROBLEM_TYPES]


@router.get("/{kind}", response_model=ProblemType, dependencies=[requires(Need.PUBLIC)])
def get_problem_type(kind: str) -> ProblemType:
    """What a problem document whose `type` is `/problems/{kind}` means."""
    if kind not in PROBLEM_TYPES:
        raise NotFound("Problem type", kind)
    return _describe(kind)

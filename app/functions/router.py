from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy.orm import Session

from app.auth.access import requires
from app.auth.rules import Need
from app.core.db import request_session
from app.functions import service
from app.functions.schemas import FunctionRead

router = APIRouter(prefix="/functions", tags=["functions"])


@router.get("", response_model=list[FunctionRead], dependencies=[requires(Need.DATA_READ)])
def list_functions(session: Session = request_session) -> list[FunctionRead]:
    return [FunctionRead.model_validate(f) for f in service.list_functions(session)]

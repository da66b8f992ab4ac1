from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class FunctionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    key: str
    label: str
    description: str

"""SQLAlchemy models. Importing this package registers every table on `Base.metadata`."""

from models.assumption_set import AssumptionSet
from models.audit import AuditEntry
from models.base import Base
from models.cost_line import CostLine
from models.enums import LockKind, Maturity, OrganisationKind, ReviewDecision, RunStatus
from models.footprint import Footprint
from models.function import FUNCTION_CATALOGUE, Function
from models.lock import Lock
from models.organisation import Organisation
from models.run import Run, RunReview
from models.run_result import (
    NationalSweep,
    RunBindingConstraint,
    RunHubShare,
    RunOrganisation,
    RunPlanRow,
    RunYear,
    Sweep,
)
from models.token import ApiToken, Role, TokenFootprint
from models.upload import Upload

__all__ = [
    "FUNCTION_CATALOGUE",
    "ApiToken",
    "AssumptionSet",
    "AuditEntry",
    "Base",
    "CostLine",
    "Footprint",
    "Function",
    "Lock",
    "LockKind",
    "Maturity",
    "NationalSweep",
    "Organisation",
    "OrganisationKind",
    "ReviewDecision",
    "Role",
    "RunStatus",
    "Run",
    "RunReview",
    "RunBindingConstraint",
    "RunHubShare",
    "RunOrganisation",
    "RunPlanRow",
    "RunYear",
    "Sweep",
    "TokenFootprint",
    "Upload",
]

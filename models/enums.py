from __future__ import annotations

from enum import StrEnum


class Maturity(StrEnum):
    EMERGING = "emerging"
    DEVELOPING = "developing"
    ADVANCED = "advanced"


class OrganisationKind(StrEnum):
    CCG = "CCG"
    CSU = "CSU"
    PROVIDER = "PROVIDER"
    LOCAL_AUTHORITY = "LOCAL_AUTHORITY"


class LockKind(StrEnum):
    KEEP_IN_HOUSE = "keep_in_house"
    MUST_JOIN = "must_join"
    MAY_NOT_HOST = "may_not_host"
    MUST_HOST = "must_host"
    NOT_BEFORE_YEAR = "not_before_year"


class RunStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"
    ERROR = "error"
    CANCELLED = "cancelled"


class ReviewDecision(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"

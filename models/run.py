from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Enum, ForeignKey, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, TimestampMixin, UTCDateTime
from models.enums import ReviewDecision, RunStatus


class Run(TimestampMixin, Base):
    """One optimisation of a footprint, with the snapshot of the inputs it was given."""

    __tablename__ = "run"

    id: Mapped[int] = mapped_column(primary_key=True)
    footprint_id: Mapped[int] = mapped_column(ForeignKey("footprint.id", ondelete="CASCADE"), index=True)
    assumption_set_id: Mapped[int | None] = mapped_column(
        ForeignKey("assumption_set.id", ondelete="SET NULL")
    )
    status: Mapped[RunStatus] = mapped_column(
        Enum(
            RunStatus,
            native_enum=False,
            create_constraint=True,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=RunStatus.QUEUED,
        index=True,
    )
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    solver_statistics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error_message: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str] = mapped_column(String(200), default="")
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Headline figures, also in the result tables, kept here so lists and sweeps need no joins.
    npv_pence: Mapped[int | None] = mapped_column(BigInteger)
    payback_year: Mapped[int | None] = mapped_column(Integer)
    sweep_id: Mapped[int | None] = mapped_column(ForeignKey("sweep.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(200), default="")
    # When the run was last handed to a task queue (Celery); None while no broker has it. The reaper
    # hands queued runs that no broker has (or that one lost) to the queue again.
    enqueued_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # What happened to the run, in order: handed to the queue, claimed by a worker, re-queued or taken
    # over after a worker died (a redelivery), finished. Each entry has "event" and "at".
    history: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list, server_default=text("'[]'"))


class RunReview(TimestampMixin, Base):
    __tablename__ = "run_review"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("run.id", ondelete="CASCADE"), index=True)
    decision: Mapped[ReviewDecision] = mapped_column(
        Enum(
            ReviewDecision,
            native_enum=False,
            create_constraint=True,
            length=10,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    comment: Mapped[str] = mapped_column(Text, default="")
    reviewer: Mapped[str] = mapped_column(String(200), default="")

"""The Celery configuration the fault rules rest on (docs/operators/deploy.md), without a broker."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.runs.tasks import TASK_NAME, make_celery, task_id
from app.settings import Settings


def test_the_visibility_timeout_must_outlast_the_longest_solve() -> None:
    with pytest.raises(ValidationError, match="STP_CELERY_VISIBILITY_TIMEOUT_SECONDS"):
        Settings(_env_file=None, STP_RUN_MAX_SOLVE_SECONDS=3600, STP_CELERY_VISIBILITY_TIMEOUT_SECONDS=3600)  # type: ignore[call-arg]
    Settings(_env_file=None, STP_RUN_MAX_SOLVE_SECONDS=3600, STP_CELERY_VISIBILITY_TIMEOUT_SECONDS=5460)  # type: ignore[call-arg]


def test_late_acknowledgement_no_prefetch_and_a_private_key_space() -> None:
    settings = Settings(_env_file=None, STP_CELERY_QUEUE="england", BROKER_URL="redis://broker:6379/3")  # type: ignore[call-arg]
    conf = make_celery(settings).conf
    assert conf.task_acks_late is True and conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1 and conf.worker_disable_prefetch is True
    assert conf.task_default_queue == "england" and conf.broker_url == "redis://broker:6379/3"
    options = conf.broker_transport_options
    assert options["visibility_timeout"] == settings.celery_visibility_timeout_seconds == 7200
    assert options["global_keyprefix"] == "england:"
    assert task_id(settings, 42) == "england-run-42"
    assert TASK_NAME in make_celery(settings).tasks

# Production image: the API and the Celery worker from one image (docs/operators/deploy.md).
#   API:     stpplan serve            (the default command migrates first; compose.yaml migrates once)
#   worker:  stpplan worker           (RUN_EXECUTOR=celery, BROKER_URL)
# compose.yaml runs PostgreSQL, Redis, the migrations, the API and a scalable worker service.

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /srv/stp-planner
# Exact versions (HiGHS answers depend on them), in their own layer so code changes reuse it.
COPY requirements.lock ./
RUN pip install -r requirements.lock
COPY pyproject.toml README.md ./
COPY app ./app
COPY models ./models
COPY solver ./solver
COPY migrations ./migrations
# Editable, so the demo and national data in fixtures/ are found beside the code.
COPY fixtures ./fixtures
RUN pip install --no-deps -e . && python -m compileall -q app models solver migrations

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    STP_HOST=0.0.0.0 \
    STP_PORT=8000
WORKDIR /srv/stp-planner
RUN useradd --system --uid 10001 --user-group --home-dir /srv/stp-planner --shell /usr/sbin/nologin stp
COPY --from=build /opt/venv /opt/venv
COPY --from=build /srv/stp-planner /srv/stp-planner
RUN mkdir -p var && chown stp:stp var
USER stp
EXPOSE 8000
# The API's health; a worker container replaces it with `stpplan worker --ping` (compose.yaml).
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ.get('STP_PORT', '8000'), timeout=4)"]
CMD ["sh", "-c", "stpplan db upgrade && stpplan serve"]

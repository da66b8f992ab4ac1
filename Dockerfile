# Production image: the API (and, with another command, a worker). Point DATABASE_URL at PostgreSQL.
FROM python:3.11-slim AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    STP_HOST=0.0.0.0 \
    STP_PORT=8000

WORKDIR /srv/stp-planner

COPY pyproject.toml README.md ./
COPY app ./app
COPY models ./models
COPY solver ./solver
COPY migrations ./migrations
COPY fixtures ./fixtures
# Editable, so the demo data in fixtures/ is found beside the code.
RUN pip install -e . && useradd --system --home /srv/stp-planner stp && mkdir -p var && chown stp var

USER stp
EXPOSE 8000
# Migrate, then serve. Override the command for one-off jobs, e.g. `stpplan demo load`.
CMD ["sh", "-c", "stpplan db upgrade && stpplan serve"]

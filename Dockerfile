# syntax=docker/dockerfile:1
# The ClassConnect server image (deploy/README.md builds and pushes it):
#   docker build -t ghcr.io/classconnect/server:0.1.0 .
# Stage 1 builds every wheel, from the hash-locked requirements.lock only; the final stage
# installs those wheels into a slim Python with no compiler, and runs as a non-root user.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
# A compiler for any locked package that has no wheel for the target platform.
RUN apt-get update \
    && apt-get install --yes --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY requirements.lock ./
# --require-hashes: pip refuses any file whose hash is not in the lock.
RUN pip wheel --no-cache-dir --require-hashes --wheel-dir /wheels -r requirements.lock
COPY pyproject.toml README.md ./
COPY server ./server
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM ${PYTHON_IMAGE}
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HOST=0.0.0.0 \
    PORT=8080 \
    DATA_DIR=/var/lib/classconnect \
    DATADOG_CONFIG_DIR=/opt/classconnect/datadog
RUN groupadd --system --gid 10001 classconnect \
    && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/classconnect \
        --shell /usr/sbin/nologin classconnect \
    && install -d -o 10001 -g 10001 /var/lib/classconnect
# The wheels are mounted from stage 1, not copied, so no layer keeps them.
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-index --no-deps /wheels/*.whl \
    && pip check
# What `classconnect datadog-sync` applies (also run after admin changes).
COPY config/datadog /opt/classconnect/datadog
USER 10001:10001
WORKDIR /var/lib/classconnect
EXPOSE 8080
# `classconnect healthcheck` GETs /healthz on $PORT (the slim image has no curl).
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
    CMD ["classconnect", "healthcheck"]
ENTRYPOINT ["classconnect"]
CMD ["serve"]

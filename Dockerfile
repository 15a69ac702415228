# Attune: a small two-stage image. Build: `docker build -t attune .`
# Release step (run once per deploy, before the new app starts):
#   docker run --rm -e ATTUNE_DATABASE_URL=... attune attune migrate
#   docker run --rm -e ATTUNE_DATABASE_URL=... attune attune questionnaires load
# Serve: docker run -p 8000:8000 -e ATTUNE_DATABASE_URL=... -e ATTUNE_SECRET_KEY=... \
#   -e ATTUNE_PUBLIC_URL=https://attune.example.org attune
# (production refuses to start without a secret of at least 32 characters or a public URL)
# These are the commands .ci/smoke runs on every CI run.

FROM python:3.11-slim AS build
WORKDIR /src
RUN python -m venv /opt/venv
# The pinned, hash-checked dependencies first (requirements.txt, `make lock`), then the app alone.
COPY requirements.txt ./
RUN /opt/venv/bin/pip install --no-cache-dir --require-hashes -r requirements.txt
COPY pyproject.toml README.md ./
COPY app ./app
RUN /opt/venv/bin/pip install --no-cache-dir --no-deps . && /opt/venv/bin/pip check

FROM python:3.11-slim
RUN useradd --system --uid 10001 --home-dir /srv/attune attune
WORKDIR /srv/attune
COPY --from=build /opt/venv /opt/venv
COPY alembic.ini ./
COPY alembic ./alembic
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    ATTUNE_ENVIRONMENT=production
USER attune
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
CMD ["attune", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]

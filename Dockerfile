# One image for every role: web, worker_evidence, worker_report, flower and the release step (see Procfile).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    TECHSCANIQ_DATA_DIR=/var/lib/techscaniq \
    PORT=8000

# Pango and HarfBuzz are what WeasyPrint needs to render PDF reports; DejaVu gives it a font.
# Chromium's headless shell is the browser the render phase drives (Playwright never downloads one); it needs about
# half the memory of the full chromium package (bench/results/render.md).
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
       chromium-headless-shell \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /opt/techscaniq
COPY pyproject.toml README.md celeryconfig.py Procfile ./
COPY techscaniq ./techscaniq
RUN pip install .[render] && rm -rf build techscaniq.egg-info

RUN useradd --system --create-home --uid 10001 --home-dir /home/techscaniq techscaniq \
    && mkdir -p "$TECHSCANIQ_DATA_DIR" \
    && chown techscaniq "$TECHSCANIQ_DATA_DIR"
USER techscaniq

EXPOSE 8000 5555
# The web role by default; every platform file overrides the command per role with the Procfile's line.
CMD ["sh", "-c", "exec gunicorn \"techscaniq.app:create_app()\" --config python:techscaniq.gunicorn_config --bind \"${TECHSCANIQ_WEB_HOST:-0.0.0.0}:${PORT:-8000}\" -k gthread --threads 8 --timeout 60 --graceful-timeout 30"]

# A full patch tag, not a moving one: rebuilds are reproducible. To update, pick the newest
# 3.11.x-slim-bookworm tag on Docker Hub (python), change it here, rebuild, run the test command.
FROM python:3.11.14-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DATABASE_PATH=/data/bot.sqlite3

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install . && useradd --create-home --uid 10001 bot && mkdir -p /data && chown bot:bot /data

USER bot
VOLUME ["/data"]
EXPOSE 8080
STOPSIGNAL SIGTERM
CMD ["python", "-m", "bot"]

# watchkeeper: the duty-desk daemon. Data (SQLite database, logs) lives in /var/lib/watchkeeper.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    WATCHKEEPER_CONFIG=/etc/watchkeeper/watchkeeper.toml \
    WATCHKEEPER_DATABASE__URL=sqlite:////var/lib/watchkeeper/watchkeeper.db

WORKDIR /opt/watchkeeper
COPY pyproject.toml README.md alembic.ini ./
COPY daemon ./daemon
COPY parsers ./parsers
COPY models ./models
COPY config ./config
COPY migrations ./migrations
RUN pip install --no-cache-dir . \
    && useradd --system --home-dir /var/lib/watchkeeper --shell /usr/sbin/nologin watchkeeper \
    && mkdir -p /var/lib/watchkeeper /etc/watchkeeper \
    && cp config/watchkeeper.example.toml /etc/watchkeeper/watchkeeper.toml \
    && chown watchkeeper:watchkeeper /var/lib/watchkeeper

USER watchkeeper
WORKDIR /var/lib/watchkeeper
VOLUME ["/var/lib/watchkeeper"]

HEALTHCHECK --interval=60s --timeout=20s --start-period=60s --retries=3 \
    CMD ["sh", "-c", "watchkeeper status || [ $? -eq 1 ]"]

CMD ["sh", "-c", "watchkeeper db upgrade && exec watchkeeper run"]

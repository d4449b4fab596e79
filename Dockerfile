# xuefa: the bot with its bundled law corpus. Build: docker build -t xuefa .
# Run:   docker run -e XUEFA_TELEGRAM_TOKEN=123:abc -v xuefa-data:/data xuefa
# Web:   docker run -e XUEFA_WEB_PORT=8080 -p 127.0.0.1:8080:8080 -v xuefa-data:/data xuefa  (a token too: both)
# (inside the container the web listens on all its interfaces; the -p mapping decides who reaches it)
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    XUEFA_DATA_DIR=/data \
    XUEFA_TZ=Asia/Shanghai \
    XUEFA_WEB_HOST=0.0.0.0

RUN useradd --create-home --uid 10001 xuefa \
    && mkdir /data && chown xuefa:xuefa /data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY knowledge knowledge
COPY indexer indexer
COPY bot bot
COPY scripts scripts
# The CPU index keeps torch (pinned in pyproject.toml) to its CPU build instead of a multi-GB CUDA one.
RUN pip install --extra-index-url https://download.pytorch.org/whl/cpu . \
    && chmod +x scripts/docker-entrypoint.sh

USER xuefa
VOLUME /data
ENTRYPOINT ["/app/scripts/docker-entrypoint.sh"]
CMD ["xuefa", "run"]

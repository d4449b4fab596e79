# xuefa: the bot with its bundled law corpus, the example study list and their search index.
# Build: docker build -t xuefa .
# Run:   docker run -e XUEFA_TELEGRAM_TOKEN=123:abc -v xuefa-data:/data xuefa
# Web:   docker run -e XUEFA_WEB_PORT=8080 -p 127.0.0.1:8080:8080 -v xuefa-data:/data xuefa  (a token too: both)
# (inside the container the web listens on all its interfaces; the -p mapping decides who reaches it)
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    XUEFA_DATA_DIR=/data \
    XUEFA_TZ=Asia/Shanghai \
    XUEFA_WEB_HOST=0.0.0.0

RUN useradd --create-home --uid 10001 xuefa \
    && mkdir /data && chown xuefa:xuefa /data

WORKDIR /app

# Dependencies first, from the lock alone (exact versions and hashes, nothing resolved here):
# a change to the code reuses this layer. No torch: the default install does not need it.
COPY requirements.txt ./
RUN pip install --no-deps --require-hashes -r requirements.txt

# Then xuefa itself.
COPY pyproject.toml README.md ./
COPY knowledge knowledge
COPY indexer indexer
COPY bot bot
RUN pip install --no-deps . && rm -rf build ./*.egg-info

# The bundled corpus, the example study list and their index, built here: indexing the example list from
# scratch takes about 6 minutes on 2 cores and adds about 32 MB. The entrypoint copies this seed into an
# empty /data on first start, so the first start takes seconds, not minutes. Read-only for the app user.
# The embedding cache (vectors keyed by text hash and encoder) is kept in a BuildKit cache mount, so after
# a code change this step embeds only text that changed instead of starting over.
RUN --mount=type=cache,target=/var/cache/xuefa-embeddings \
    export XUEFA_DATA_DIR=/opt/xuefa/seed \
    && xuefa laws import --bundled >/dev/null \
    && xuefa studylist load --example \
    && mkdir -p /opt/xuefa/seed/index \
    && { cp /var/cache/xuefa-embeddings/embeddings-*.npz /opt/xuefa/seed/index/ 2>/dev/null || true; } \
    && xuefa index \
    && cp /opt/xuefa/seed/index/embeddings-*.npz /var/cache/xuefa-embeddings/ \
    && chmod -R a+rX,go-w /opt/xuefa/seed

COPY scripts/docker-entrypoint.sh /usr/local/bin/xuefa-entrypoint
RUN chmod 755 /usr/local/bin/xuefa-entrypoint

USER xuefa
VOLUME /data
ENTRYPOINT ["xuefa-entrypoint"]
CMD ["xuefa", "run"]

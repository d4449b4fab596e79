# xuefa: the bot with its bundled law corpus, the example study list and their search index.
# Build: docker build -t xuefa .
# Run:   docker run -e XUEFA_TELEGRAM_TOKEN=123:abc -v xuefa-data:/data xuefa
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    XUEFA_DATA_DIR=/data \
    XUEFA_TZ=Asia/Shanghai

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

# The bundled corpus, the example study list and their index, built once here: indexing the example
# list takes about 6 minutes on 2 cores and adds about 32 MB. The entrypoint copies this seed into an
# empty /data on first start, so the first start takes seconds, not minutes. Read-only for the app user.
RUN export XUEFA_DATA_DIR=/opt/xuefa/seed \
    && xuefa laws import --bundled >/dev/null \
    && xuefa studylist load --example \
    && xuefa index \
    && chmod -R a+rX,go-w /opt/xuefa/seed

COPY scripts/docker-entrypoint.sh /usr/local/bin/xuefa-entrypoint
RUN chmod 755 /usr/local/bin/xuefa-entrypoint

USER xuefa
VOLUME /data
ENTRYPOINT ["xuefa-entrypoint"]
CMD ["xuefa", "run"]

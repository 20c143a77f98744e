# syndicate's container image: `syndicate serve` on 0.0.0.0:8000 as uid 10001, the
# example site's posts as default content. Build from the repository root:
#
#   podman build --format docker -t syndicate .      (docker format keeps the HEALTHCHECK)
#   docker build -t syndicate .                      (BuildKit: RUN --mount needs it)
#
# Behind a TLS-intercepting proxy pip needs that proxy's CA. Hand it in as a build
# secret, either the one certificate or a whole bundle (PEM). pip trusts it besides
# Debian's CAs while the builder stage installs; no layer keeps it:
#
#   podman build --format docker --secret id=pip_ca,src=/etc/ssl/certs/ca-certificates.crt -t syndicate .
#
# Run: podman run --rm -p 127.0.0.1:8000:8000 syndicate      (or: ... syndicate check)
# Mount your own configuration at /srv/config (syndicate.toml) and posts at /srv/content.
# The root file system may be read-only; `build --out` needs a writable folder (/tmp).

############################################################################ builder
FROM debian:bookworm-slim AS builder

# Python 3.11 from Debian; the versions are Debian bookworm's (security updates
# included), so they are not pinned here.
# hadolint ignore=DL3008
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        ca-certificates python3 python3-venv \
    && rm -rf /var/lib/apt/lists/*

RUN python3 -m venv /opt/syndicate
WORKDIR /build

# The dependencies first, at the versions constraints.txt pins, in a layer that only a
# change of pyproject.toml or constraints.txt rebuilds. Every pip run gets the optional
# CA (see above) from container/pip-install.sh: a layer must not depend on a secret
# that an earlier, cached layer saw or missed.
COPY container/pip-install.sh /usr/local/bin/pip-install
COPY pyproject.toml constraints.txt ./
RUN --mount=type=secret,id=pip_ca \
    python3 -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]))' \
        >/tmp/requirements.txt \
    && sh /usr/local/bin/pip-install -c constraints.txt -r /tmp/requirements.txt

COPY . .
RUN --mount=type=secret,id=pip_ca \
    sh /usr/local/bin/pip-install --no-deps -c constraints.txt . \
    && /opt/syndicate/bin/pip check \
    && /opt/syndicate/bin/pip uninstall --yes --quiet pip setuptools

############################################################################ runtime
FROM debian:bookworm-slim

LABEL org.opencontainers.image.title="syndicate" \
      org.opencontainers.image.description="Atom, RSS and JSON feeds and a latest-updates page from a folder of Markdown posts" \
      org.opencontainers.image.licenses="MIT"

# The same Debian Python the virtual environment was made with; a fixed uid/gid so that
# volume permissions and runAsUser can name it.
# hadolint ignore=DL3008
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 \
    && rm -rf /var/lib/apt/lists/* /var/cache/debconf/*-old /var/log/apt /var/log/dpkg.log \
    && groupadd --gid 10001 syndicate \
    && useradd --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home \
        --shell /usr/sbin/nologin syndicate \
    && mkdir -p /srv/.cache \
    && chown 10001:10001 /srv/.cache

COPY --from=builder /opt/syndicate /opt/syndicate
COPY container/healthcheck.py /opt/syndicate/healthcheck.py
# The default configuration and content: the file's store.path "../content" is
# /srv/content and its build.cache_dir "../.cache" is /srv/.cache, which uid 10001 may
# write. Mounts at /srv/config and /srv/content replace them. /srv/.cache is a volume, so
# the render cache is writable on a read-only root and survives a restart.
COPY config/syndicate.toml /srv/config/syndicate.toml
COPY examples/site/content /srv/content
VOLUME ["/srv/.cache"]

# SYNDICATE_SERVER_HOST: a container is reached from outside it, never on its loopback.
ENV PATH=/opt/syndicate/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    SYNDICATE_SERVER_HOST=0.0.0.0

# The CLI's default --config, config/syndicate.toml, is /srv/config/syndicate.toml from here.
WORKDIR /srv
USER 10001:10001
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python3", "/opt/syndicate/healthcheck.py"]

ENTRYPOINT ["syndicate"]
CMD ["serve"]

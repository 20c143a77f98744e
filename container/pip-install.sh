#!/bin/sh
# `pip install ARGS` into /opt/syndicate during the image build (the Dockerfile's builder
# stage runs it). pip trusts Debian's CA bundle plus, when the build was handed one, the
# `pip_ca` build secret (one PEM certificate or a whole bundle, e.g. a TLS-intercepting
# proxy's CA). The secret is read where the build mounts it and is never copied into a layer.
set -eu
bundle=/etc/ssl/certs/ca-certificates.crt
if [ -s /run/secrets/pip_ca ]; then
    combined=$(mktemp)
    trap 'rm -f "$combined"' EXIT
    cat "$bundle" /run/secrets/pip_ca >"$combined"
    bundle=$combined
fi
if ! PIP_CERT=$bundle /opt/syndicate/bin/pip install --no-cache-dir --disable-pip-version-check "$@"; then
    echo "pip-install: pip failed under $(python3 --version) from Debian; a pinned version whose" \
        "Requires-Python excludes it shows up above as a conflict or as no matching distribution" >&2
    exit 1
fi

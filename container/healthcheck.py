"""The image's HEALTHCHECK: exit 0 when syndicate's /healthz answers 200, else 1.

Runs inside the container next to `syndicate serve`, with nothing but the standard
library. The port is the one the server listens on: SYNDICATE_SERVER_PORT, or 8000.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request


def main() -> int:
    port = os.environ.get("SYNDICATE_SERVER_PORT", "8000")
    url = f"http://127.0.0.1:{port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=4) as response:
            status = response.status
    except urllib.error.HTTPError as exc:  # 503 while no build serves
        status = exc.code
    except (OSError, ValueError) as exc:
        print(f"healthcheck: {url}: {exc}", file=sys.stderr)
        return 1
    if status != 200:
        print(f"healthcheck: {url}: HTTP {status}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

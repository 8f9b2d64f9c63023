"""A tiny SMTP server for local runs: every message it receives becomes a ``.eml`` file.

    .venv/bin/python deploy/local/mail_sink.py [--host 127.0.0.1] [--port 2525] [--dir .local/mail]

The notifications service sends to 127.0.0.1:2525 by default; open the files with any mail client
(or ``less``) to read what a customer would have received. Stop it with Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import os
import signal
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class WriteToDirectory:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        path = self.directory / f"{stamp}-{uuid.uuid4().hex[:8]}.eml"
        path.write_bytes(envelope.original_content or envelope.content)
        print(f"mail for {', '.join(envelope.rcpt_tos)} -> {path}", flush=True)
        return "250 Message accepted for delivery"


def main() -> None:
    state = Path(os.environ.get("RAPPORT_STATE_DIR", ".local"))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    default_port = int(os.environ.get("RAPPORT_MAIL_PORT", "2525"))
    parser.add_argument("--port", type=int, default=default_port)
    parser.add_argument("--dir", type=Path, default=state / "mail")
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    controller = Controller(WriteToDirectory(args.dir), hostname=args.host, port=args.port)
    controller.start()
    print(f"mail sink on {args.host}:{args.port}, writing to {args.dir}", flush=True)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    try:
        stopped.wait()
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


if __name__ == "__main__":
    main()

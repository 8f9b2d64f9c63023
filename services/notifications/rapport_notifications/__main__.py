"""Run the notifications service alone: ``python -m rapport_notifications``."""

import uvicorn

from rapport_notifications.bootstrap import create_app
from rapport_notifications.settings import NotificationsSettings


def main() -> None:
    settings = NotificationsSettings()
    uvicorn.run(
        create_app(settings), host=settings.http_host, port=settings.http_port, log_config=None
    )


if __name__ == "__main__":
    main()

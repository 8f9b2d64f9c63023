"""Run the feedback service alone: ``python -m rapport_feedback``."""

import uvicorn

from rapport_feedback.bootstrap import create_app
from rapport_feedback.settings import FeedbackSettings


def main() -> None:
    settings = FeedbackSettings()
    uvicorn.run(
        create_app(settings), host=settings.http_host, port=settings.http_port, log_config=None
    )


if __name__ == "__main__":
    main()

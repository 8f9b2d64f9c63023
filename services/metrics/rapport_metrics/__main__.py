"""Run the metrics service alone: ``python -m rapport_metrics``."""

import uvicorn

from rapport_metrics.bootstrap import create_app
from rapport_metrics.settings import MetricsSettings


def main() -> None:
    settings = MetricsSettings()
    uvicorn.run(
        create_app(settings), host=settings.http_host, port=settings.http_port, log_config=None
    )


if __name__ == "__main__":
    main()

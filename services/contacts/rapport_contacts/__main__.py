"""Run the contacts service alone: ``python -m rapport_contacts``."""

import uvicorn

from rapport_contacts.bootstrap import create_app
from rapport_contacts.settings import ContactsSettings


def main() -> None:
    settings = ContactsSettings()
    uvicorn.run(
        create_app(settings), host=settings.http_host, port=settings.http_port, log_config=None
    )


if __name__ == "__main__":
    main()

"""Named refusals of the contact aggregate; the HTTP layer maps each to one status code."""

from __future__ import annotations

from datetime import datetime


class ContactError(Exception):
    """Base of every domain refusal."""


class ContactNotFound(ContactError):
    def __init__(self, contact_id: str) -> None:
        super().__init__(f"contact {contact_id} not found")
        self.contact_id = contact_id


class ContactErasedError(ContactError):
    """The contact was erased; only the proof of erasure remains."""

    def __init__(self, contact_id: str, erased_at: datetime) -> None:
        super().__init__(f"contact {contact_id} was erased")
        self.contact_id = contact_id
        self.erased_at = erased_at


class ContactMerged(ContactError):
    """The contact was merged into another one; write to the survivor."""

    def __init__(self, contact_id: str, survivor_id: str) -> None:
        super().__init__(f"contact {contact_id} was merged into {survivor_id}")
        self.contact_id = contact_id
        self.survivor_id = survivor_id


class DuplicateContact(ContactError):
    """A normalized e-mail or phone number already belongs to another contact."""

    def __init__(self, field: str, existing_contact_id: str) -> None:
        super().__init__(f"{field} already belongs to contact {existing_contact_id}")
        self.field = field
        self.existing_contact_id = existing_contact_id


class CaseNotOpen(ContactError):
    def __init__(self, case_id: str) -> None:
        super().__init__(f"case {case_id} is not open for this contact")
        self.case_id = case_id


class InvalidMerge(ContactError):
    """E.g. merging a contact into itself."""


class ConcurrentUpdate(ContactError):
    """Someone else changed the contact since it was read; the caller may retry."""


class UnknownReference(ContactError):
    """A field names a contact that does not exist (e.g. ``referred_by``)."""

    def __init__(self, field: str, contact_id: str) -> None:
        super().__init__(f"{field}: no contact {contact_id}")
        self.field = field

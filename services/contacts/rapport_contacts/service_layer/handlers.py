"""Use cases that change one contact: consent, interactions, purchases, cases."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from rapport_contacts.domain import model
from rapport_contacts.domain.interactions import LogInteraction, log_interaction, resolve_case
from rapport_contacts.domain.model import Contact
from rapport_contacts.service_layer.unit import (
    Decision,
    Ports,
    acting,
    change,
    envelope,
    publications,
)
from rapport_kit.idempotency import KeptAnswer
from rapport_schemas.common import Consent
from rapport_schemas.contacts import Actor, CaseResolved, InteractionLogged, PurchaseRecorded


async def change_consent(
    ports: Ports, contact_id: str, consent: Consent, *, actor: Actor | None = None
) -> Consent:
    def decide(contact: Contact) -> Decision:
        changed, event = model.change_consent(contact, consent)
        return changed, [envelope(event, ports.clock(), actor=actor)]

    await change(ports, contact_id, decide)
    return consent


async def record_interaction(
    ports: Ports,
    contact_id: str,
    command: LogInteraction,
    *,
    actor: Actor | None = None,
    keep: Callable[[InteractionLogged], KeptAnswer | None] = lambda _: None,
) -> InteractionLogged:
    """``keep`` makes a keyed request's answer from the result, stored with the change."""
    logged: list[InteractionLogged] = []
    by = acting(actor, command.agent_id)

    def decide(contact: Contact) -> Decision:
        changed, event, summaries = log_interaction(contact, command, policy=ports.policy)
        logged[:] = [event]
        now = ports.clock()
        return changed, publications(
            ports, [event, *summaries], now, profile=changed.profile, actor=by
        )

    await change(ports, contact_id, decide, kept=lambda: keep(logged[0]))
    return logged[0]


async def record_purchase(
    ports: Ports,
    contact_id: str,
    *,
    amount: Decimal,
    currency: str,
    occurred_at: datetime | None,
    order_ref: str | None,
    actor: Actor | None = None,
    keep: Callable[[PurchaseRecorded], KeptAnswer | None] = lambda _: None,
) -> PurchaseRecorded:
    now = ports.clock()
    purchase = PurchaseRecorded(
        purchase_id=model.new_id("pu"),
        contact_id=contact_id,
        amount=amount,
        currency=currency,
        occurred_at=occurred_at or now,
        order_ref=order_ref,
    )

    def decide(contact: Contact) -> Decision:
        return contact, [envelope(model.record_purchase(contact, purchase), now, actor=actor)]

    await change(ports, contact_id, decide, kept=lambda: keep(purchase))
    return purchase


async def close_case(
    ports: Ports,
    contact_id: str,
    case_id: str,
    *,
    agent_id: str | None,
    actor: Actor | None = None,
    keep: Callable[[CaseResolved], KeptAnswer | None] = lambda _: None,
) -> CaseResolved:
    resolved: list[CaseResolved] = []

    def decide(contact: Contact) -> Decision:
        now = ports.clock()
        changed, event = resolve_case(contact, case_id, resolved_at=now, agent_id=agent_id)
        resolved[:] = [event]
        return changed, [envelope(event, now, actor=acting(actor, agent_id))]

    await change(ports, contact_id, decide, kept=lambda: keep(resolved[0]))
    return resolved[0]

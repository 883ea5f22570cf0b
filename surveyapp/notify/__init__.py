"""Notifications: an outbox in the core, delivered by a worker with retries and escalation.

Modules use only this API (the core knows no module by name):

- ``register_notification_kinds`` (hook) declares a module's kinds and their fixed wording;
- ``enqueue(kind, recipients, org=, params=)`` writes outbox rows in the caller's transaction;
- ``raise_urgent(kind, school, subject_key, link)`` tells the school's counsellors now and
  escalates up the organisation tree until ``acknowledge(subject_key, user)``;
- ``told(subject_key)`` lists who was told when;
- ``register_notification_channels`` (hook) adds a delivery channel besides e-mail.
See docs/notifications.md.
"""
from __future__ import annotations

from .channels import Channel, ChannelError, OutgoingMessage, PermanentError, Recipient
from .escalation import SAFEGUARDING, acknowledge, raise_urgent, state, told
from .kinds import NotificationKind, UnsafeParameter
from .models import Escalation, Notification, Preference
from .outbox import enqueue, holders
from .sweeps import local_now

__all__ = ["Channel", "ChannelError", "OutgoingMessage", "PermanentError", "Recipient", "SAFEGUARDING",
           "acknowledge", "raise_urgent", "state", "told", "NotificationKind", "UnsafeParameter", "Escalation",
           "Notification", "Preference", "enqueue", "holders", "local_now"]

"""Delivery channels. The core ships e-mail (SMTP, or the .eml file sink when no SMTP is set);
plugins add others (webhook, SMS gateway, Zalo) through ``register_notification_channels``.

A channel only carries text the core composed (``kinds.compose``): it never sees the event."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app

from .. import mail


class ChannelError(RuntimeError):
    """Delivery failed for now; the outbox retries with back-off."""


class PermanentError(RuntimeError):
    """Delivery can never succeed (no address): the row goes straight to the dead letters."""


@dataclass(frozen=True)
class Recipient:
    user_id: int | None
    name: str
    email: str | None
    locale: str
    user: Any = None  # the account, for channels that read their own contact field


@dataclass(frozen=True)
class OutgoingMessage:
    notification_id: int
    kind: str
    urgent: bool
    subject: str
    body: str
    message_id: str  # stable across re-sends: the receiver can recognise a duplicate


class Channel:
    """Subclass and return instances from ``register_notification_channels``."""

    id = "channel"

    def accepts(self, recipient: Recipient, kind: str) -> bool:
        """Whether this recipient is reached through this channel (one outbox row each)."""
        raise NotImplementedError

    def send(self, recipient: Recipient, message: OutgoingMessage) -> str:
        """Deliver or raise ``ChannelError`` (retry) / ``PermanentError`` (dead letter)."""
        raise NotImplementedError


class EmailChannel(Channel):
    id = "email"

    def accepts(self, recipient: Recipient, kind: str) -> bool:
        return True  # a missing address shows up as a dead letter admins can see and fix

    def send(self, recipient: Recipient, message: OutgoingMessage) -> str:
        if not recipient.email:
            raise PermanentError("the account has no e-mail address")
        settings = mail.MailSettings.from_config(current_app.config)
        built = mail.build_message(settings, to_address=recipient.email, to_name=recipient.name,
                                   subject=message.subject, body=message.body, message_id=message.message_id)
        try:
            return mail.send(settings, built)
        except mail.MailError as exc:
            raise ChannelError(str(exc)) from exc


def registered_channels() -> dict[str, Channel]:
    from .catalog import by_id
    return by_id("surveyapp_notify_channels", [EmailChannel()], "register_notification_channels", "channel")

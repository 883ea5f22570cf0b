"""E-mail transport: one message out through SMTP, or into ``.eml`` files when no SMTP is set.

This is only the last step. Callers that must not lose a message (alerts, reset links)
go through the notification outbox, which retries; this module sends once or raises.
"""
from __future__ import annotations

import email.policy
import smtplib
import ssl
import uuid
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from datetime import datetime, timezone
from pathlib import Path

TLS_MODES = ("starttls", "ssl", "none")


# Python's header folding drops the space where it splits a long non-ASCII subject into two
# encoded words ("của Trường" arrives as "củaTrường"); an encoded word may be long instead.
HEADER_POLICY = email.policy.default.clone(max_line_length=998)


class MailError(RuntimeError):
    """The message could not be handed to the SMTP server (the caller may retry)."""


@dataclass(frozen=True)
class MailSettings:
    host: str | None
    port: int
    user: str | None
    password: str | None
    tls: str
    sender: str
    sink_folder: Path
    timeout: float = 20.0

    @classmethod
    def from_config(cls, config) -> "MailSettings":
        tls = (config.get("SMTP_TLS") or "starttls").lower()
        if tls not in TLS_MODES:
            raise ValueError(f"SURVEYAPP_SMTP_TLS must be one of {', '.join(TLS_MODES)}, got {tls!r}")
        default_port = {"ssl": 465, "starttls": 587, "none": 25}[tls]
        return cls(host=config.get("SMTP_HOST") or None, port=int(config.get("SMTP_PORT") or default_port),
                   user=config.get("SMTP_USER") or None, password=config.get("SMTP_PASSWORD") or None,
                   tls=tls, sender=config.get("MAIL_FROM") or "surveyapp@localhost",
                   sink_folder=Path(config["MAIL_FOLDER"]))

    @property
    def uses_sink(self) -> bool:
        return not self.host


def build_message(settings: MailSettings, *, to_address: str, to_name: str = "", subject: str,
                  body: str, message_id: str | None = None) -> EmailMessage:
    """A UTF-8 plain-text message; Vietnamese names and subjects are encoded per RFC 2047."""
    message = EmailMessage(policy=HEADER_POLICY)
    message["From"] = settings.sender
    message["To"] = Address(display_name=to_name, addr_spec=to_address) if to_name else to_address
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime.now(timezone.utc))
    # A stable id lets a mail client recognise a re-send after a crash as the same message.
    message["Message-ID"] = message_id or make_msgid(domain=settings.sender.rpartition("@")[2] or "localhost")
    message.set_content(body, charset="utf-8")
    return message


def send(settings: MailSettings, message: EmailMessage) -> str:
    """Deliver one message; returns where it went (``smtp:host`` or the file path)."""
    if settings.uses_sink:
        return str(_write_to_sink(settings.sink_folder, message))
    try:
        with _connect(settings) as smtp:
            if settings.user:
                smtp.login(settings.user, settings.password or "")
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"{settings.host}:{settings.port}: {exc}") from exc
    return f"smtp:{settings.host}"


def _connect(settings: MailSettings) -> smtplib.SMTP:
    if settings.tls == "ssl":
        return smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout,
                                context=ssl.create_default_context())
    smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    if settings.tls == "starttls":
        smtp.starttls(context=ssl.create_default_context())
    return smtp


def _write_to_sink(folder: Path, message: EmailMessage) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
    path = folder / f"{stamp}-{uuid.uuid4().hex[:12]}.eml"
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(message.as_bytes())
    tmp.replace(path)  # a reader never sees half a message
    return path


def sink_messages(folder: Path) -> list[Path]:
    """The messages in the file sink, newest first."""
    if not folder.is_dir():
        return []
    return sorted(folder.glob("*.eml"), reverse=True)

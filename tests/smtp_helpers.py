"""A real SMTP server on loopback (aiosmtpd) for the mail, account and notification tests, restartable on its port."""
from __future__ import annotations

import asyncio
import email
import email.policy
import socket

from aiosmtpd.controller import Controller


class Inbox:
    def __init__(self, delay: float = 0.0):
        self.messages = []
        self.delay = delay

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"

    def ids(self) -> list[str]:
        return [m["Message-ID"] for m in self.messages]

    def to(self, address: str) -> list:
        return [m for m in self.messages if address in str(m["To"])]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpServer:
    def __init__(self, delay: float = 0.0):
        self.port = free_port()
        self.inbox = Inbox(delay)
        self.controller = None

    def start(self) -> "SmtpServer":
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def config(self) -> dict:
        return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(self.port), "SMTP_TLS": "none",
                "MAIL_FROM": "khaosat@so-gddt.example.vn"}


def body_and_subject(message) -> str:
    return f"{message['Subject']}\n{message.get_content()}"

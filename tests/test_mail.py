"""The mail transport: a real SMTP server on loopback, and the .eml sink when none is set."""
from __future__ import annotations

import email
import email.policy

import pytest

from smtp_helpers import free_port
from surveyapp.mail import MailError, MailSettings, build_message, send, sink_messages


def _settings(tmp_path, **config):
    base = {"MAIL_FOLDER": str(tmp_path / "mail"), "MAIL_FROM": "so-gddt@example.vn", "SMTP_TLS": "none"}
    base.update(config)
    return MailSettings.from_config(base)


def test_a_vietnamese_message_crosses_a_real_smtp_server_intact(tmp_path, smtp):
    inbox = smtp.inbox
    settings = _settings(tmp_path, SMTP_HOST="127.0.0.1", SMTP_PORT=str(smtp.port))
    message = build_message(settings, to_address="lan@example.vn", to_name="Nguyễn Thị Lan",
                            subject="Cảnh báo khẩn tại trường THCS Á", body="Vui lòng đăng nhập.",
                            message_id="<alert-7@example.vn>")
    assert send(settings, message) == "smtp:127.0.0.1"
    [received] = inbox.messages
    assert received["Subject"] == "Cảnh báo khẩn tại trường THCS Á"
    assert received["To"].addresses[0].display_name == "Nguyễn Thị Lan"
    assert received["Message-ID"] == "<alert-7@example.vn>"
    assert received.get_content().strip() == "Vui lòng đăng nhập."


def test_an_unreachable_server_raises_so_the_caller_can_retry(tmp_path):
    settings = _settings(tmp_path, SMTP_HOST="127.0.0.1", SMTP_PORT=str(free_port()))
    message = build_message(settings, to_address="a@example.vn", subject="x", body="y")
    with pytest.raises(MailError, match="127.0.0.1"):
        send(settings, message)


def test_without_smtp_messages_are_written_as_eml_files(tmp_path):
    settings = _settings(tmp_path)
    message = build_message(settings, to_address="a@example.vn", subject="Đợt khảo sát", body="Nội dung")
    path = send(settings, message)
    [stored] = sink_messages(tmp_path / "mail")
    assert str(stored) == path
    parsed = email.message_from_bytes(stored.read_bytes(), policy=email.policy.default)
    assert parsed["Subject"] == "Đợt khảo sát"


def test_an_unknown_tls_mode_is_refused(tmp_path):
    with pytest.raises(ValueError, match="SMTP_TLS"):
        _settings(tmp_path, SMTP_TLS="tls1")

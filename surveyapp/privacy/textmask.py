"""Free text shown to a school: phone numbers and e-mails masked, likely personal names flagged.

The one masking every output uses (the core comments sheet and every module's free-text section)."""
from __future__ import annotations

import re
from dataclasses import dataclass

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+", re.UNICODE)
PHONE = re.compile(r"(?<!\w)(?:\+?84|0)(?:[\s.-]?\d){8,10}(?!\d)")
# Common Vietnamese family names: one followed by capitalised words is likely a person's name,
# as is a capitalised word after a form of address ("cô Lan", "bạn Minh").
FAMILY_NAMES = set(("Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý Đinh Đoàn Trịnh "
                    "Mai Cao Lâm Lương Tô Hà Tạ Chu Kiều Đào Thái Quách Lưu Nguyen Tran Le Pham Hoang "
                    "Vu Vo Dang Bui Do Ho Ngo Duong Ly Dinh Doan Trinh").split())
ADDRESS = {"thầy", "cô", "bạn", "anh", "chị", "em", "thay", "co", "ban", "chi"}
TOKEN = re.compile(r"\w+", re.UNICODE)


def likely_names(text: str) -> list[str]:
    tokens = TOKEN.findall(text or "")
    found = set()
    for i, token in enumerate(tokens):
        following = []
        for nxt in tokens[i + 1:i + 4]:
            if not nxt[0].isupper():
                break
            following.append(nxt)
        if token in FAMILY_NAMES and following:
            found.add(" ".join([token] + following))
        elif token.lower() in ADDRESS and following and token[0].islower():
            found.add(" ".join([token] + following[:1]))
    return sorted(found)


@dataclass
class CheckedText:
    text: str
    masked: int
    possible_names: list[str]


def mask(text: str) -> CheckedText:
    masked = 0

    def _sub(pattern, label, value):
        nonlocal masked
        value, n = pattern.subn(label, value)
        masked += n
        return value

    value = _sub(EMAIL, "[e-mail]", text or "")
    value = _sub(PHONE, "[phone]", value)
    return CheckedText(value, masked, likely_names(value))

"""Referral codes: the short code in a member's share link, which the storefront turns into
her id when someone registers or buys through it. Pure rules: no I/O."""

from __future__ import annotations

import secrets
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field, StringConstraints

# Crockford's base32: no I, L, O or U, so a code read aloud or typed from a poster survives.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 8  # 32**8 ≈ 1.1e12 codes: guessing one is hopeless at any request rate
# What a person may type for each character: any case, and the letters Crockford reads as
# digits.
_TYPED = str.maketrans({"O": "0", "I": "1", "L": "1"})


def normalized_code(typed: str) -> str:
    """The code as stored, from what someone typed (any case, O for 0, I or L for 1, spaces
    and dashes between groups)."""
    return typed.strip().upper().replace("-", "").replace(" ", "").translate(_TYPED)


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def _known_shape(code: str) -> str:
    if len(code) != CODE_LENGTH or any(char not in ALPHABET for char in code):
        raise ValueError(f"a referral code is {CODE_LENGTH} letters and digits (Crockford base32)")
    return code


ReferralCode = Annotated[
    str,
    StringConstraints(min_length=1, max_length=32),
    AfterValidator(normalized_code),
    AfterValidator(_known_shape),
]


class ReferralCodeRecord(BaseModel):
    """A code and whose it is. Codes are never reused or deleted: a regenerated code still
    resolves to her (printed posters outlive a regeneration)."""

    code: str
    member_id: str
    created_at: int = Field(description="When it was issued (epoch ms)")
    current: bool = Field(description="Her code now (false: replaced, still resolving)")


class MemberCodes(BaseModel):
    member_id: str
    code: str = Field(description="Her code now, for her share links")
    previous: list[str] = Field(description="Codes she had before, newest first; they resolve")

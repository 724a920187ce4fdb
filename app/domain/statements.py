"""A member's statement for a period: what she was owed when it opened, every ledger line by
event time (entries with their order and rule, reversals, payouts), and what she was owed
when it closed, per currency. Pure: the service reads, this adds up."""

from __future__ import annotations

from pydantic import BaseModel, Field


class StatementLine(BaseModel):
    id: str = Field(description="The ledger entry's id, or the payout line's (`x:…`)")
    kind: str = Field(description="The rule kind that granted it, or `payout`")
    amount: int = Field(description="Minor units; negative for a reversal or a payout")
    currency: str
    event_at: int = Field(description="When it happened (epoch ms)")
    status: str = Field(description="pending, available, or paid for a payout line")
    order_id: str | None = None
    refund_id: str | None = None
    reverses: str | None = None
    plan_version: str | None = None
    rule: int | None = Field(default=None, description="The rule's index in its plan version")
    payout_item: str | None = Field(
        default=None, description="The payout item (`batch/member`) that claims or paid it"
    )
    reference: str | None = Field(default=None, description="A payout's transfer reference")
    balance: int = Field(default=0, description="What she is owed after this line")


class CurrencyStatement(BaseModel):
    currency: str
    opening: int = Field(description="What she was owed before `from`")
    credits: int = Field(description="The positive lines of the period")
    debits: int = Field(description="The negative lines: reversals and payouts")
    closing: int = Field(description="opening + credits + debits")
    lines: list[StatementLine]


class Statement(BaseModel):
    member_id: str
    from_: int = Field(serialization_alias="from", description="epoch ms, inclusive")
    to: int = Field(description="epoch ms, exclusive")
    currencies: list[CurrencyStatement] = Field(description="One per currency, by code")


def statement_of(
    member_id: str, from_: int, to: int, opening: dict[str, int], lines: list[StatementLine]
) -> Statement:
    """`lines` sorted by event time then id; a currency with an opening balance and no line
    still shows."""
    blocks: dict[str, CurrencyStatement] = {
        currency: CurrencyStatement(
            currency=currency, opening=amount, credits=0, debits=0, closing=amount, lines=[]
        )
        for currency, amount in opening.items()
    }
    for line in lines:
        block = blocks.setdefault(
            line.currency,
            CurrencyStatement(
                currency=line.currency, opening=0, credits=0, debits=0, closing=0, lines=[]
            ),
        )
        if line.amount >= 0:
            block.credits += line.amount
        else:
            block.debits += line.amount
        block.closing += line.amount
        block.lines.append(line.model_copy(update={"balance": block.closing}))
    return Statement(
        member_id=member_id, from_=from_, to=to, currencies=[blocks[c] for c in sorted(blocks)]
    )

"""Money out: payout batches for the finance team, and each member's balance and statement."""

from __future__ import annotations

import html
from typing import Annotated

from fastapi import APIRouter, Body, Path, Query, Request, Response
from fastapi.responses import HTMLResponse

from app.api.csv_pages import CSV_MEDIA_TYPE, CSV_RESPONSES, rows_as_csv, wants_csv
from app.api.deps import ActorDep, Admins, Auditors, EarningsReaders, NowDep, StoreDep
from app.api.problems import problem_responses
from app.domain.ledger import ExternalId
from app.domain.members import MemberId
from app.domain.payouts import Balance, ItemFailed, ItemPaid, Payout, PayoutCreate
from app.domain.statements import Statement
from app.domain.units import EpochMsQuery, iso_moment
from app.services import payouts as service
from app.services.payouts import MAX_PAGE, ItemState, PayoutPage
from app.services.statements import get_statement

router = APIRouter(prefix="/v1")
PayoutIdPath = Annotated[ExternalId, Path(description="The batch's id", examples=["2026-11"])]
MemberIdPath = Annotated[MemberId, Path(description="The member's external id", examples=["m12"])]
EXPORT_COLUMNS = ("member_id", "name", "amount", "currency", "reference")
STATEMENT_COLUMNS = (
    "currency", "event_at", "id", "kind", "amount", "balance", "status", "order_id",
    "refund_id", "reverses", "plan_version", "rule", "payout_item", "reference",
)  # fmt: skip


@router.post(
    "/payouts",
    tags=["payouts"],
    status_code=201,
    dependencies=[Admins],
    responses={
        200: {"model": Payout, "description": "Drafted already under this id (a retry)"},
        **problem_responses(401, 403, 409, 413, 422),
    },
)
def create_payout(
    create: Annotated[
        PayoutCreate,
        Body(
            openapi_examples={
                "month": {
                    "summary": "November's payouts in yuan, 100 yuan at least",
                    "value": {
                        "id": "2026-11-CNY",
                        "as_of": "2026-12-01T00:00:00+08:00",
                        "currency": "CNY",
                        "minimum": 10000,
                    },
                }
            }
        ),
    ],
    store: StoreDep,
    actor: ActorDep,
    now: NowDep,
    response: Response,
) -> Payout:
    """Drafts a batch: one item per member whose available balance in `currency` at `as_of`
    (entries released by then that no other batch claims, clawbacks netted in) reaches
    `minimum`, with the exact entries it pays. Members the plan does not pay (inactive,
    terminated, erased, as its `payouts` says), on hold or owing a clawback are listed in
    `skipped` with the reason. The same id again answers the batch (200)."""
    payout, created = service.create_payout(store=store, create=create, actor=actor, now=now)
    if not created:
        response.status_code = 200
    return payout


@router.get(
    "/payouts",
    tags=["payouts"],
    dependencies=[Auditors],
    responses=problem_responses(401, 403, 422),
)
def list_payouts(
    store: StoreDep,
    cursor: Annotated[
        str | None,
        # The page after a batch made at 2026-12-01T00:00Z with the id 2026-11.
        Query(
            description="next_cursor of the previous page",
            examples=["WzE3OTYwODMyMDAwMDAsIjIwMjYtMTEiXQ"],
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, examples=[20])] = 20,
) -> PayoutPage:
    """Batches, newest first."""
    return service.list_payouts(store=store, cursor=cursor, limit=limit)


@router.get(
    "/payouts/{payout_id}",
    tags=["payouts"],
    dependencies=[Auditors],
    responses=problem_responses(401, 403, 404, 422),
)
def get_payout(payout_id: PayoutIdPath, store: StoreDep) -> Payout:
    """A batch with its items, the members it skipped and every transition it went
    through."""
    return service.get_payout(store=store, payout_id=payout_id)


@router.post(
    "/payouts/{payout_id}/approve",
    tags=["payouts"],
    dependencies=[Admins],
    responses=problem_responses(401, 403, 404, 409, 422),
)
def approve_payout(
    payout_id: PayoutIdPath, store: StoreDep, actor: ActorDep, now: NowDep
) -> Payout:
    """draft → approved (again: answers it as it stands)."""
    return service.approve_payout(store=store, payout_id=payout_id, actor=actor, now=now)


@router.get(
    "/payouts/{payout_id}/export",
    tags=["payouts"],
    dependencies=[Admins],
    response_class=Response,
    responses={
        200: {
            "content": {"text/csv": {"schema": {"type": "string"}}},
            "description": "The transfers as CSV (UTF-8 with a BOM): member_id, name (empty "
            "when erased), amount (minor units), currency, reference",
        },
        **problem_responses(401, 403, 404, 409, 422),
    },
)
def export_payout(
    payout_id: PayoutIdPath, store: StoreDep, actor: ActorDep, now: NowDep
) -> Response:
    """The batch's transfers for the bank or wallet upload, by member id. The first export
    moves an approved batch to exported; each export after gives the same bytes (unless a
    member's data was erased since: her name is left out)."""
    payout, rows = service.export_payout(store=store, payout_id=payout_id, actor=actor, now=now)
    body = rows_as_csv([row.model_dump() for row in rows], EXPORT_COLUMNS)
    headers = {"Content-Disposition": f'attachment; filename="payout-{payout.id}.csv"'}
    return Response(content=body, media_type=CSV_MEDIA_TYPE, headers=headers)


@router.post(
    "/payouts/{payout_id}/items/{member_id}/paid",
    tags=["payouts"],
    dependencies=[Admins],
    responses=problem_responses(401, 403, 404, 409, 413, 422),
)
def mark_item_paid(
    payout_id: PayoutIdPath,
    member_id: MemberIdPath,
    paid: Annotated[
        ItemPaid,
        Body(
            openapi_examples={
                "bank": {
                    "summary": "The bank's reference of the transfer",
                    "value": {"reference": "ICBC-20261202-000184"},
                }
            }
        ),
    ],
    store: StoreDep,
    actor: ActorDep,
    now: NowDep,
) -> ItemState:
    """Her transfer went out: the item is paid and a payout line (negative) enters her
    ledger. Again with the same reference: a retry."""
    return service.mark_item_paid(
        store=store, payout_id=payout_id, member_id=member_id, paid=paid, actor=actor, now=now
    )


@router.post(
    "/payouts/{payout_id}/items/{member_id}/failed",
    tags=["payouts"],
    dependencies=[Admins],
    responses=problem_responses(401, 403, 404, 409, 413, 422),
)
def mark_item_failed(
    payout_id: PayoutIdPath,
    member_id: MemberIdPath,
    failed: Annotated[
        ItemFailed,
        Body(
            openapi_examples={
                "closed": {
                    "summary": "The bank refused it",
                    "value": {"reason": "account closed"},
                }
            }
        ),
    ],
    store: StoreDep,
    actor: ActorDep,
    now: NowDep,
) -> ItemState:
    """Her transfer failed: the entries it covered are available again, for the next
    batch. Again with the same reason: a retry."""
    return service.mark_item_failed(
        store=store, payout_id=payout_id, member_id=member_id, failed=failed, actor=actor, now=now
    )


@router.get(
    "/members/{member_id}/balance",
    tags=["members"],
    dependencies=[EarningsReaders],
    responses=problem_responses(401, 403, 404, 422),
)
def get_balance(member_id: MemberIdPath, store: StoreDep) -> Balance:
    """Her money per currency in minor units: pending (held), available (released, in no
    batch; negative when a refund took back money already paid), in_payout and paid."""
    return service.get_balance(store=store, member_id=member_id)


@router.get(
    "/members/{member_id}/statement",
    tags=["members"],
    dependencies=[EarningsReaders],
    response_model=Statement,
    responses={
        **CSV_RESPONSES,
        200: {
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "text/html": {"schema": {"type": "string"}},
            },
            "description": "JSON; with `Accept: text/csv` the lines as CSV (an opening and a "
            "closing row per currency); with `Accept: text/html` a printable page",
        },
        **problem_responses(401, 403, 404, 422),
    },
)
def get_member_statement(
    member_id: MemberIdPath,
    request: Request,
    store: StoreDep,
    from_: Annotated[
        EpochMsQuery | None,
        Query(
            alias="from",
            description="Event time at or after",
            examples=["2026-11-01T00:00:00+08:00"],
        ),
    ] = None,
    to: Annotated[
        EpochMsQuery | None,
        Query(description="Event time before", examples=["2026-12-01T00:00:00+08:00"]),
    ] = None,
) -> Statement | Response:
    """What she was owed when the period opened, every ledger line in it by event time (the
    entries with their order and rule, reversals, payouts) with the running balance, and
    what she was owed when it closed, per currency."""
    statement = get_statement(store=store, member_id=member_id, from_=from_, to=to)
    if wants_csv(request):
        headers = {"Content-Disposition": f'attachment; filename="statement-{member_id}.csv"'}
        return Response(
            content=rows_as_csv(_statement_rows(statement), STATEMENT_COLUMNS),
            media_type=CSV_MEDIA_TYPE,
            headers=headers,
        )
    if "text/html" in request.headers.get("accept", ""):
        return HTMLResponse(_statement_page(statement))
    return statement


def _statement_rows(statement: Statement) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for block in statement.currencies:
        at = {"currency": block.currency}
        rows.append(
            {**at, "event_at": statement.from_, "kind": "opening", "balance": block.opening}
        )
        rows += [line.model_dump() for line in block.lines]
        rows.append({**at, "event_at": statement.to, "kind": "closing", "balance": block.closing})
    return rows


def _statement_page(statement: Statement) -> str:
    """A self-contained page to print: escaped text, no script."""
    esc = html.escape
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>Statement {esc(statement.member_id)}</title>",
        "<style>body{font:12px sans-serif}table{border-collapse:collapse;width:100%}"
        "td,th{border-bottom:1px solid #ccc;padding:2px 6px;text-align:left}"
        "td.n{text-align:right}</style></head><body>",
        f"<h1>Statement of {esc(statement.member_id)}</h1>",
        f"<p>{esc(iso_moment(statement.from_))} to {esc(iso_moment(statement.to))}</p>",
    ]
    for block in statement.currencies:
        parts.append(
            f"<h2>{esc(block.currency)}</h2><table><tr><th>When</th><th>Entry</th>"
            "<th>Kind</th><th>Order</th><th>Amount</th><th>Balance</th></tr>"
        )
        parts.append(
            f"<tr><td></td><td>Opening balance</td><td></td><td></td><td></td>"
            f"<td class=n>{block.opening}</td></tr>"
        )
        for line in block.lines:
            parts.append(
                f"<tr><td>{esc(iso_moment(line.event_at))}</td><td>{esc(line.id)}</td>"
                f"<td>{esc(line.kind)}</td><td>{esc(line.order_id or line.reference or '')}</td>"
                f"<td class=n>{line.amount}</td><td class=n>{line.balance}</td></tr>"
            )
        parts.append(
            f"<tr><td></td><td>Closing balance</td><td></td><td></td><td></td>"
            f"<td class=n>{block.closing}</td></tr></table>"
        )
    parts.append("</body></html>")
    return "".join(parts)

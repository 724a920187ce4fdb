"""Orders and refunds, each answered with the ledger entries it wrote."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path, Response

from app.api.deps import Auditors, LadderDep, NowDep, StoreDep, Writers
from app.api.problems import problem_responses
from app.domain.ledger import ExternalId, OrderCreate, RefundCreate
from app.services import orders as service
from app.services.orders import OrderPosted, RefundPosted

router = APIRouter(prefix="/v1/orders", tags=["orders"])
OrderIdPath = Annotated[ExternalId, Path(description="The order's external id", examples=["o9001"])]


@router.post(
    "",
    status_code=201,
    dependencies=[Writers],
    responses={
        200: {"model": OrderPosted, "description": "Already posted (a retry): nothing written"},
        **problem_responses(401, 403, 409, 413, 422),
    },
)
def post_order(
    request: Annotated[
        OrderCreate,
        Body(
            openapi_examples={
                "own purchase": {
                    "summary": "A member buys for herself (199.00 yuan in fen)",
                    "value": {
                        "id": "o9001",
                        "buyer_id": "m13",
                        "amount": 19900,
                        "currency": "CNY",
                        "placed_at": "2026-11-02T20:15:00+08:00",
                    },
                },
                "shared": {
                    "summary": "A sale through another member's share link",
                    "value": {
                        "id": "o9002",
                        "buyer_id": "m40",
                        "amount": 59900,
                        "currency": "CNY",
                        "placed_at": 1767225600000,
                        "shared_by": "m12",
                    },
                },
            }
        ),
    ],
    store: StoreDep,
    ladder: LadderDep,
    now: NowDep,
    response: Response,
) -> OrderPosted:
    """Records an order and the entries the plan in force at `placed_at` grants for it."""
    posted, created = service.post_order(store=store, ladder=ladder, request=request, now=now)
    if not created:
        response.status_code = 200
    return posted


@router.post(
    "/{order_id}/refunds",
    status_code=201,
    dependencies=[Writers],
    responses={
        200: {"model": RefundPosted, "description": "Already posted (a retry): nothing written"},
        **problem_responses(401, 403, 404, 409, 413, 422),
    },
)
def post_refund(
    order_id: OrderIdPath,
    request: Annotated[
        RefundCreate,
        Body(
            openapi_examples={
                "partial": {
                    "summary": "50.00 yuan of the order refunded",
                    "value": {
                        "id": "r9001-1",
                        "amount": 5000,
                        "refunded_at": "2026-11-05T10:00:00+08:00",
                    },
                }
            }
        ),
    ],
    store: StoreDep,
    ladder: LadderDep,
    now: NowDep,
    response: Response,
) -> RefundPosted:
    """Records a full or partial refund and one reversal per entry of the order."""
    posted, created = service.post_refund(
        store=store, ladder=ladder, order_id=order_id, request=request, now=now
    )
    if not created:
        response.status_code = 200
    return posted


@router.get("/{order_id}", dependencies=[Auditors], responses=problem_responses(401, 403, 404, 422))
def get_order(order_id: OrderIdPath, store: StoreDep) -> OrderPosted:
    """The order with every entry it and its refunds wrote."""
    return service.get_order(store=store, order_id=order_id)

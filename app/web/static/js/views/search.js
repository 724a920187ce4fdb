// Members: a search by name or id prefix with filters, a result table paged by the API's
// cursor, and a member's card (#/search/<id>) with her counts, circles, earnings, points and
// links. The card asks only for what the key's role may read.

import * as api from "../api.js";
import { downloadable, guarded, h } from "../dom.js";
import { count, money, utcDate, utcTime } from "../format.js";
import { paidMarker, tierBadge } from "../badges.js";

const SORTS = [
  ["id", "Id"],
  ["-joined_at", "Newest first"],
  ["joined_at", "Oldest first"],
  ["-downline_total", "Largest downline"],
  ["-paid_direct_invites", "Most paid invites"],
];
const EARNINGS_READERS = new Set(["admin", "auditor", "storefront"]);
const PAGE = 50;
// The card's points: what expires within this many days, and her latest entries.
const EXPIRING_DAYS = 30;
const RECENT_POINTS = 10;
const HISTORY_PAGE = 1000; // the API's largest page
const POINTS_KINDS = { earn: "earned", grant: "granted", redemption: "redeemed", take_back: "taken back" };

export function render(section, { param, context }) {
  const result = h("div", { testid: "search-result" });
  section.append(h("h2", {}, "Members"), searchForm(result, context), result);
  if (param) showCard(result, param, context);
}

function searchForm(result, context) {
  const input = h("input", {
    name: "q",
    placeholder: "name or id prefix",
    testid: "search-input",
  });
  const tier = h(
    "select",
    { name: "tier", testid: "search-tier" },
    h("option", { value: "" }, "any tier"),
    (context.tier_ladder ?? []).map((step) => h("option", { value: step.tier }, step.tier)),
  );
  const paid = h(
    "select",
    { name: "paid", testid: "search-paid" },
    h("option", { value: "" }, "paid or not"),
    h("option", { value: "true" }, "paid"),
    h("option", { value: "false" }, "not paid"),
  );
  const sort = h(
    "select",
    { name: "sort", testid: "search-sort" },
    SORTS.map(([value, label]) => h("option", { value }, label)),
  );
  const form = h(
    "form",
    { class: "toolbar", testid: "search-form" },
    h("label", {}, "Find ", input),
    h("label", {}, "Tier ", tier),
    h("label", {}, "Paid ", paid),
    h("label", {}, "Order ", sort),
    h("button", { type: "submit", testid: "search-submit" }, "Search"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const query = { q: input.value.trim(), tier: tier.value, paid: paid.value, sort: sort.value, limit: PAGE };
    showResults(result, query, context);
  });
  return form;
}

async function showResults(result, query, context) {
  const page = await guarded(result, () => api.get("/v1/members", query));
  if (!page) return;
  const body = h("tbody", {});
  const table = h(
    "table",
    { class: "data", testid: "search-table" },
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        ["Member", "Tier", "Joined", "Direct", "Downline", "Paid invites"].map((label) => h("th", {}, label)),
      ),
    ),
    body,
  );
  const more = h("button", { type: "button", testid: "search-more" }, "More");
  const add = (items) => body.append(...items.map((hit) => resultRow(hit, context)));
  const pageOn = (next) => {
    more.hidden = !next;
    more.onclick = async () => {
      const following = await guarded(status, () => api.get("/v1/members", { ...query, cursor: next }));
      if (!following) return;
      add(following.items);
      pageOn(following.next_cursor);
    };
  };
  const status = h("div", {});
  if (!page.items.length) {
    result.replaceChildren(h("p", { class: "notice", testid: "search-empty" }, "No member matches."));
    return;
  }
  add(page.items);
  pageOn(page.next_cursor);
  result.replaceChildren(downloadable(table, "members"), more, status);
}

function resultRow(hit, context) {
  return h(
    "tr",
    { testid: "search-row", dataset: { memberId: hit.id } },
    h(
      "td",
      {},
      h("a", { href: `#/search/${encodeURIComponent(hit.id)}`, testid: "search-open" }, hit.name ?? hit.id),
      hit.name ? h("span", { class: "hint" }, ` ${hit.id}`) : null,
      " ",
      paidMarker(hit.paid_at !== null),
    ),
    h("td", {}, tierBadge(hit.tier, context)),
    h("td", {}, utcTime(hit.joined_at)),
    h("td", { class: "num" }, count(hit.direct_total)),
    h("td", { class: "num" }, count(hit.downline_total)),
    h("td", { class: "num" }, count(hit.paid_direct_invites)),
  );
}

async function showCard(result, memberId, context) {
  const role = context.role;
  const answers = await guarded(result, () =>
    Promise.all([
      api.get(api.memberPath(memberId)),
      api.get(api.memberPath(memberId, "/tier")),
      api.get(api.memberPath(memberId, "/downline/counts")),
      api.get("/v1/groups", { member_id: memberId }),
      EARNINGS_READERS.has(role) ? api.get(api.memberPath(memberId, "/earnings")) : null,
    ]),
  );
  if (!answers) return;
  const [member, status, downline, circles, earnings] = answers;
  const spend = status.spend;
  const nextTier = status.next_tier
    ? `${status.next_tier} in ${count(status.invites_to_next)} more paid invites`
    : "top of the ladder";
  result.replaceChildren(
    h(
      "article",
      { class: "card", testid: "member-card", dataset: { memberId: member.id } },
      h("h3", {}, member.name ?? member.id, " ", tierBadge(member.tier, context)),
      h(
        "dl",
        {},
        field("Id", member.id),
        field("Invited by", member.inviter_id ? cardLink(member.inviter_id) : "nobody (a root)"),
        field("Joined", utcTime(member.joined_at)),
        field("Paid", member.paid_at ? utcTime(member.paid_at) : "not paid"),
        field("Paid direct invites", count(status.paid_direct_invites)),
        field("Next tier", nextTier),
        field(
          "Spend level",
          `${spend.level} (pays ${(spend.price_bp / 100).toFixed(0)}%), ` +
            `${money(spend.rolling_spend)} ${spend.currency} over 365 days`,
        ),
        field("Super membership", status.super_membership.active ? "active" : "none"),
        field(
          "Downline",
          h(
            "span",
            { testid: "card-downline" },
            `${count(downline.direct_total)} direct (${count(downline.direct_paid)} paid), ` +
              `${count(downline.downline_total)} in all (${count(downline.downline_paid)} paid)`,
          ),
        ),
        field(
          "Circles",
          h(
            "span",
            { testid: "card-circles" },
            circles.items.length ? circles.items.map((group) => group.name).join(", ") : "none",
          ),
        ),
        earnings ? field("Earnings", h("span", { testid: "card-earnings" }, earningsText(earnings))) : null,
      ),
      context.actions.includes("read_points") ? pointsSection(member.id) : null,
      h(
        "p",
        {},
        h("a", { href: `#/tree/${encodeURIComponent(member.id)}`, testid: "open-tree" }, "Open her tree"),
        " · ",
        h("a", { href: `#/chart/${encodeURIComponent(member.id)}`, testid: "open-chart" }, "Her chart"),
        " · ",
        h("a", { href: `#/search/${encodeURIComponent(member.id)}`, testid: "card-self" }, "Link to this card"),
      ),
    ),
  );
}

// Her points, filled in when they arrive: a failure shows in the section, not in the card.
function pointsSection(memberId) {
  const body = h("div", {});
  showPoints(body, memberId);
  return h("section", { class: "points", testid: "card-points" }, h("h4", {}, "Points"), body);
}

async function showPoints(slot, memberId) {
  const answers = await guarded(slot, () =>
    Promise.all([
      api.get(api.memberPath(memberId, "/points"), { expiring_days: EXPIRING_DAYS }),
      recentPoints(memberId),
    ]),
  );
  if (!answers) return;
  const [points, recent] = answers;
  slot.replaceChildren(
    h(
      "dl",
      {},
      field(
        "Balance",
        h(
          "span",
          { testid: "points-balance", dataset: { points: points.balance } },
          pointsText(points.balance),
          points.debt ? h("span", { class: "hint" }, ` (owes ${pointsText(points.debt)} taken back)`) : null,
        ),
      ),
      field("Expiring soon", expiringList(points.expiring)),
    ),
    recent.length
      ? h(
          "table",
          { class: "data", testid: "points-history" },
          h("caption", { class: "hint" }, `Her latest ${count(recent.length)} entries, newest first`),
          h("thead", {}, h("tr", {}, ["When", "Kind", "Points", "Order / action"].map((label) => h("th", {}, label)))),
          h("tbody", {}, recent.map(pointsRow)),
        )
      : h("p", { class: "notice", testid: "points-history-empty" }, "No points entries yet."),
  );
}

// The history comes oldest first a page at a time: her latest entries are on the last page
// (and maybe the one before). Newest first.
async function recentPoints(memberId) {
  let recent = [];
  let cursor = null;
  do {
    const page = await api.get(api.memberPath(memberId, "/points/history"), { cursor, limit: HISTORY_PAGE });
    recent = [...recent, ...page.items].slice(-RECENT_POINTS);
    cursor = page.next_cursor;
  } while (cursor);
  return recent.reverse();
}

function expiringList(expiring) {
  if (!expiring.length) {
    return h("span", { testid: "points-expiring-none" }, `none within ${EXPIRING_DAYS} days`);
  }
  // expires_at is the first moment they are gone: the day before is the last they count.
  return h(
    "ul",
    { class: "plain", testid: "points-expiring" },
    expiring.map((lot) =>
      h(
        "li",
        { testid: "points-expiring-lot", dataset: { points: lot.points, expiresAt: lot.expires_at } },
        `${pointsText(lot.points)} expire at the end of ${utcDate(lot.expires_at - 1)} (UTC)`,
      ),
    ),
  );
}

function pointsRow(entry) {
  return h(
    "tr",
    { testid: "points-entry", dataset: { id: entry.id, kind: entry.kind, points: entry.points } },
    h("td", {}, utcTime(entry.event_at)),
    h("td", {}, POINTS_KINDS[entry.kind] ?? entry.kind),
    h("td", { class: "num" }, `${entry.points > 0 ? "+" : ""}${count(entry.points)}`),
    h("td", {}, pointsReason(entry)),
  );
}

function pointsReason(entry) {
  if (entry.kind === "grant") return entry.action ?? "";
  if (entry.kind === "redemption") {
    const value = entry.value ? ` (${[money(entry.value), entry.currency].filter(Boolean).join(" ")})` : "";
    return `${entry.redemption_for ?? ""}${value}`;
  }
  if (entry.kind === "take_back") return `${entry.order_id ?? ""}, refund ${entry.refund_id ?? ""}`;
  return entry.order_id ?? "";
}

function pointsText(points) {
  return `${count(points)} ${Math.abs(points) === 1 ? "point" : "points"}`;
}

function earningsText(earnings) {
  if (!earnings.currencies.length) return "none yet";
  return earnings.currencies
    .map((block) => `${money(block.total)} ${block.currency} in ${count(block.entries)} entries`)
    .join("; ");
}

function cardLink(memberId) {
  return h("a", { href: `#/search/${encodeURIComponent(memberId)}`, dataset: { memberId } }, memberId);
}

function field(term, value) {
  return [h("dt", {}, term), h("dd", {}, value)];
}

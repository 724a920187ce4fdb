// Member lookup. The API finds members by exact id only (there is no search by name), so
// this is a lookup: her record and both ladders, with links to her tree and her inviter.

import * as api from "../api.js";
import { guarded, h, memberLink } from "../dom.js";
import { count, money, utcTime } from "../format.js";
import { tierBadge } from "../badges.js";

export function render(section, { param, context }) {
  const input = h("input", {
    name: "member",
    required: true,
    placeholder: "member id, e.g. m2",
    value: param ?? "",
    testid: "search-input",
  });
  const form = h(
    "form",
    { class: "toolbar", testid: "search-form" },
    h("label", {}, "Member id ", input),
    h("button", { type: "submit", testid: "search-submit" }, "Look up"),
    h("span", { class: "hint" }, "Exact id: the API has no search by name."),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const id = input.value.trim();
    if (id) window.location.hash = `#/search/${encodeURIComponent(id)}`;
  });
  const result = h("div", { testid: "search-result" });
  section.append(h("h2", {}, "Members"), form, result);
  if (param) lookUp(result, param, context);
}

async function lookUp(result, memberId, context) {
  const answers = await guarded(result, () =>
    Promise.all([api.get(api.memberPath(memberId)), api.get(api.memberPath(memberId, "/tier"))]),
  );
  if (!answers) return;
  const [member, status] = answers;
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
        field("Invited by", member.inviter_id ? memberLink(member.inviter_id) : "nobody (a root)"),
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
      ),
      h("p", {}, h("a", { href: `#/tree/${encodeURIComponent(member.id)}`, testid: "open-tree" }, "Open her tree")),
    ),
  );
}

function field(term, value) {
  return [h("dt", {}, term), h("dd", {}, value)];
}

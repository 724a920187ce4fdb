// A member's statement for a period: what she was owed when it opened, every ledger line by
// event time with the running balance, and what she was owed when it closed, per currency.

import * as api from "../api.js";
import { downloadable, guarded, h, memberLink } from "../dom.js";
import { dateToMs, money, utcDate, utcTime } from "../format.js";

const DAY_MS = 86_400_000;

export function render(section, { param }) {
  const member = h("input", { name: "member", required: true, value: param ?? "", placeholder: "member id", testid: "statement-member" });
  const now = Date.now();
  const from = h("input", { name: "from", type: "date", value: utcDate(now - 30 * DAY_MS), testid: "statement-from" });
  const to = h("input", { name: "to", type: "date", value: utcDate(now + DAY_MS), testid: "statement-to" });
  const out = h("div", { testid: "statement" });
  const form = h(
    "form",
    { class: "toolbar", testid: "statement-form" },
    h("label", {}, "Member ", member),
    h("label", {}, "From ", from),
    h("label", {}, "To (exclusive) ", to),
    h("button", { type: "submit", testid: "statement-show" }, "Show"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    load(out, member.value.trim(), dateToMs(from.value), dateToMs(to.value));
  });
  section.append(h("h2", {}, "Statement"), form, out);
  if (param) load(out, param, dateToMs(from.value), dateToMs(to.value));
}

async function load(out, memberId, from, to) {
  if (!memberId) return;
  const statement = await guarded(out, () => api.get(api.memberPath(memberId, "/statement"), { from, to }));
  if (!statement) return;
  if (!statement.currencies.length) {
    out.replaceChildren(h("p", { class: "notice", testid: "statement-empty" }, "No ledger line for her in this period."));
    return;
  }
  out.replaceChildren(
    h("p", {}, "Member ", memberLink(statement.member_id), ` · ${utcTime(statement.from)} to ${utcTime(statement.to)}`),
    ...statement.currencies.map((block) =>
      h(
        "section",
        { testid: "statement-currency", dataset: { currency: block.currency, opening: block.opening, closing: block.closing } },
        h("h3", {}, block.currency),
        downloadable(
          h(
            "table",
            { class: "data", testid: "statement-lines" },
            h("thead", {}, h("tr", {}, ["When", "Line", "Kind", "Order / reference", "Amount", "Balance"].map((t) => h("th", {}, t)))),
            h(
              "tbody",
              {},
              h("tr", { testid: "statement-opening" }, h("td", {}, ""), h("td", {}, "Opening balance"), h("td", {}, ""), h("td", {}, ""), h("td", {}, ""), h("td", { class: "num" }, money(block.opening))),
              block.lines.map((line) =>
                h(
                  "tr",
                  { testid: "statement-line", dataset: { kind: line.kind, amount: line.amount } },
                  h("td", {}, utcTime(line.event_at)),
                  h("td", {}, line.id),
                  h("td", {}, line.kind),
                  h("td", {}, line.order_id ?? line.reference ?? ""),
                  h("td", { class: "num" }, money(line.amount)),
                  h("td", { class: "num" }, money(line.balance)),
                ),
              ),
              h("tr", { testid: "statement-closing" }, h("td", {}, ""), h("td", {}, "Closing balance"), h("td", {}, ""), h("td", {}, ""), h("td", {}, ""), h("td", { class: "num" }, money(block.closing))),
            ),
          ),
          `statement-${statement.member_id}-${block.currency}`,
        ),
      ),
    ),
  );
}

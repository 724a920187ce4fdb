// Tier distribution and the what-if: the ladder in force prefilled (from /ui/context), a
// proposed threshold per tier and a period; the answer shows members per tier now and
// proposed, who would move (with sample ids), and the training allowance re-priced.
// Opening the view runs the ladder in force unchanged, which is the distribution now.

import * as api from "../api.js";
import { tierBadge } from "../badges.js";
import { downloadable, guarded, h, memberLink } from "../dom.js";
import { count, dateToMs, money, utcDate } from "../format.js";

export function render(section, { context }) {
  const ladder = context.tier_ladder;
  const inputs = ladder.map((step) =>
    h("input", {
      type: "number",
      min: "0",
      step: "1",
      required: true,
      value: String(step.min_paid_invites),
      testid: "ladder-min",
      dataset: { tier: step.tier },
      "aria-label": `paid invites for ${step.tier}`,
    }),
  );
  const [from, to] = defaultPeriod();
  const fromInput = h("input", { type: "date", required: true, value: from, testid: "period-from" });
  const toInput = h("input", { type: "date", required: true, value: to, testid: "period-to" });
  const reset = h("button", { type: "button", testid: "whatif-reset" }, "Ladder in force");
  const form = h(
    "form",
    { class: "whatif", testid: "whatif-form" },
    h(
      "table",
      { class: "data ladder", testid: "ladder-editor" },
      h("thead", {}, h("tr", {}, h("th", {}, "Tier"), h("th", {}, "In force"), h("th", {}, "Proposed: paid direct invites"))),
      h(
        "tbody",
        {},
        ladder.map((step, index) =>
          h("tr", {}, h("td", {}, tierBadge(step.tier, context)), h("td", { class: "num" }, String(step.min_paid_invites)), h("td", {}, inputs[index])),
        ),
      ),
    ),
    h(
      "p",
      { class: "toolbar" },
      h("label", {}, "Orders from ", fromInput),
      h("label", {}, " to (exclusive) ", toInput),
      h("button", { type: "submit", testid: "whatif-submit" }, "Simulate"),
      reset,
    ),
  );
  const result = h("div", { testid: "whatif-result" });
  const simulate = () =>
    run(result, context, {
      ladder: ladder.map((step, index) => ({ tier: step.tier, min_paid_invites: Number(inputs[index].value) })),
      period: { from: dateToMs(fromInput.value), to: dateToMs(toInput.value) },
    });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    simulate();
  });
  reset.addEventListener("click", () => {
    ladder.forEach((step, index) => {
      inputs[index].value = String(step.min_paid_invites);
    });
    simulate();
  });
  section.append(h("h2", {}, "Tiers and what-if"), form, result);
  simulate();
}

// The current UTC month: the allowance is a monthly cost.
function defaultPeriod() {
  const now = new Date();
  return [
    utcDate(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)),
    utcDate(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)),
  ];
}

async function run(result, context, proposal) {
  const answer = await guarded(result, () => api.post("/v1/simulations/tiers", proposal));
  if (!answer) return;
  result.replaceChildren(
    h("h3", {}, "Members per tier"),
    downloadable(distribution(answer, context), "tiers-what-if"),
    h("h3", {}, "Who would move"),
    moves(answer.moves, context),
    h("h3", {}, "Training allowance for the period"),
    allowance(answer.allowance_cost),
  );
  result.dataset.done = "true";
}

function distribution(answer, context) {
  const tiers = [...new Set([...Object.keys(answer.current), ...Object.keys(answer.proposed)])];
  const largest = Math.max(1, ...tiers.map((tier) => Math.max(answer.current[tier] ?? 0, answer.proposed[tier] ?? 0)));
  const bar = (value, kind) => {
    const element = h("span", { class: `bar ${kind}` });
    element.style.width = `${(100 * value) / largest}%`;
    return h("div", { class: "bar-track", title: count(value) }, element);
  };
  return h(
    "table",
    { class: "data", testid: "tier-distribution" },
    h("thead", {}, h("tr", {}, h("th", {}, "Tier"), h("th", {}, "Now"), h("th", {}, "Proposed"), h("th", {}, "Change"), h("th", { class: "bars" }, ""))),
    h(
      "tbody",
      {},
      tiers.map((tier) => {
        const now = answer.current[tier] ?? 0;
        const then = answer.proposed[tier] ?? 0;
        const change = then - now;
        return h(
          "tr",
          { testid: "tier-row", dataset: { tier } },
          h("td", {}, tierBadge(tier, context)),
          h("td", { class: "num", testid: "tier-current" }, count(now)),
          h("td", { class: "num", testid: "tier-proposed" }, count(then)),
          h("td", { class: "num" }, change > 0 ? `+${count(change)}` : count(change)),
          h("td", { class: "bars" }, bar(now, "now"), bar(then, "proposed")),
        );
      }),
    ),
  );
}

function moves(list, context) {
  if (!list.length) return h("p", { class: "notice", testid: "no-moves" }, "Nobody would change tier.");
  return downloadable(movesTable(list, context), "tier-moves");
}

function movesTable(list, context) {
  return h(
    "table",
    { class: "data", testid: "moves" },
    h("thead", {}, h("tr", {}, h("th", {}, "From"), h("th", {}, "To"), h("th", {}, "Members"), h("th", {}, "Sample"))),
    h(
      "tbody",
      {},
      list.map((move) =>
        h(
          "tr",
          { testid: "move-row", dataset: { from: move.from, to: move.to } },
          h("td", {}, tierBadge(move.from, context)),
          h("td", {}, tierBadge(move.to, context)),
          h("td", { class: "num", testid: "move-count" }, count(move.count)),
          h(
            "td",
            { class: "sample" },
            move.sample.flatMap((id, index) => (index ? [", ", memberLink(id)] : [memberLink(id)])),
            move.count > move.sample.length ? ` … and ${count(move.count - move.sample.length)} more` : "",
          ),
        ),
      ),
    ),
  );
}

function allowance(cost) {
  const delta = cost.delta > 0 ? `+${money(cost.delta)}` : money(cost.delta);
  return h(
    "dl",
    { class: "allowance", testid: "allowance" },
    h("dt", {}, "Granted (ladder in force)"),
    h("dd", { testid: "allowance-current", title: `${cost.current} minor units` }, money(cost.current)),
    h("dt", {}, "Under the proposal"),
    h("dd", { testid: "allowance-proposed", title: `${cost.proposed} minor units` }, money(cost.proposed)),
    h("dt", {}, "Difference"),
    h("dd", { testid: "allowance-delta", class: cost.delta > 0 ? "up" : cost.delta < 0 ? "down" : null }, delta),
    h("dd", { class: "hint" }, "In the plan's currency, before refunds; the API counts minor units (hover for them)."),
  );
}

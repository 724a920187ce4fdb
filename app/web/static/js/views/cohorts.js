// Repurchase cohorts by join month: members per cohort as bars, the repurchase shares as
// lines (an SVG drawn here, no chart library), and the figures in a table beneath.

import * as api from "../api.js";
import { downloadable, guarded, h, svg } from "../dom.js";
import { count, monthText, monthToMs, percent } from "../format.js";

const WIDTH = 720;
const HEIGHT = 260;
const PAD = { top: 16, right: 48, bottom: 36, left: 52 };
// The shares drawn as lines, with their legend text.
const LINES = [
  ["next_month_repurchase", "bought the next month"],
  ["six_month_repurchase", "bought in the sixth month"],
  ["first_purchase_7d", "first purchase within 7 days"],
];
// The API allows at most 24 months a window.
const DEFAULT_MONTHS = 12;

export function render(section) {
  const now = new Date();
  const thisMonth = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1);
  const from = h("input", {
    type: "month", required: true, value: monthText(monthToMs(monthText(thisMonth), 1 - DEFAULT_MONTHS)), testid: "cohorts-from",
  });
  const through = h("input", { type: "month", required: true, value: monthText(thisMonth), testid: "cohorts-through" });
  const form = h(
    "form",
    { class: "toolbar", testid: "cohorts-form" },
    h("label", {}, "Joined from ", from),
    h("label", {}, " through ", through),
    h("button", { type: "submit", testid: "cohorts-load" }, "Show"),
  );
  const result = h("div", { testid: "cohorts-result" });
  const load = () => show(result, monthToMs(from.value), monthToMs(through.value, 1));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    load();
  });
  section.append(h("h2", {}, "Repurchase cohorts"), form, result);
  load();
}

async function show(result, from, to) {
  const answer = await guarded(result, () => api.get("/v1/analytics/cohorts", { from, to }));
  if (!answer) return;
  if (!answer.cohorts.length) {
    result.replaceChildren(h("p", { class: "notice", testid: "cohorts-empty" }, "Nobody joined in this window."));
    return;
  }
  result.replaceChildren(chart(answer.cohorts), downloadable(table(answer.cohorts), "cohorts"));
}

function chart(cohorts) {
  const plotWidth = WIDTH - PAD.left - PAD.right;
  const plotHeight = HEIGHT - PAD.top - PAD.bottom;
  const slot = plotWidth / cohorts.length;
  const most = Math.max(1, ...cohorts.map((cohort) => cohort.members));
  const y = (members) => PAD.top + plotHeight * (1 - members / most);
  // The right scale tops at the largest share rounded up to 5%: shares are often a few
  // percent, and on a 0-100% scale their lines would lie flat on the axis.
  const largestShare = Math.max(...cohorts.flatMap((cohort) => LINES.map(([key]) => cohort[key])));
  const shareTop = Math.min(1, Math.max(0.05, Math.ceil(largestShare * 20) / 20));
  const yShare = (share) => PAD.top + plotHeight * (1 - share / shareTop);
  const x = (index) => PAD.left + slot * index + slot / 2;

  const bars = cohorts.map((cohort, index) =>
    svg(
      "rect",
      {
        class: "cohort-bar",
        x: (PAD.left + slot * index + slot * 0.15).toFixed(1),
        y: y(cohort.members).toFixed(1),
        width: (slot * 0.7).toFixed(1),
        height: (PAD.top + plotHeight - y(cohort.members)).toFixed(1),
        "data-testid": "cohort-bar",
      },
      svg("title", {}, `${cohort.month}: ${count(cohort.members)} members, ${count(cohort.buyers)} buyers`),
    ),
  );
  const lines = LINES.map(([key, label], lineIndex) => {
    const points = cohorts.map((cohort, index) => `${x(index).toFixed(1)},${yShare(cohort[key]).toFixed(1)}`);
    return svg(
      "g",
      { class: `cohort-line line-${lineIndex}` },
      svg("polyline", { points: points.join(" "), fill: "none" }),
      cohorts.map((cohort, index) =>
        svg("circle", { cx: x(index).toFixed(1), cy: yShare(cohort[key]).toFixed(1), r: "3" },
          svg("title", {}, `${cohort.month}: ${percent(cohort[key])} ${label}`)),
      ),
    );
  });
  const labelEvery = Math.ceil(cohorts.length / 12);
  const monthLabels = cohorts.map((cohort, index) =>
    index % labelEvery ? null : svg("text", { x: x(index).toFixed(1), y: HEIGHT - PAD.bottom + 16, "text-anchor": "middle" }, cohort.month),
  );
  const axes = [
    svg("line", { class: "axis", x1: PAD.left, y1: PAD.top + plotHeight, x2: WIDTH - PAD.right, y2: PAD.top + plotHeight }),
    svg("text", { x: PAD.left - 6, y: PAD.top + 4, "text-anchor": "end" }, count(most)),
    svg("text", { x: PAD.left - 6, y: PAD.top + plotHeight, "text-anchor": "end" }, "0"),
    svg("text", { x: WIDTH - PAD.right + 6, y: PAD.top + 4, "data-testid": "share-top" }, percent(shareTop)),
    svg("text", { x: WIDTH - PAD.right + 6, y: PAD.top + plotHeight }, "0%"),
  ];
  const figure = svg(
    "svg",
    {
      viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
      role: "img",
      "aria-label": "members per join month (bars, left scale) and repurchase shares (lines, right scale)",
      class: "chart",
      "data-testid": "cohort-chart",
    },
    axes,
    bars,
    lines,
    monthLabels,
  );
  const legend = h(
    "ul",
    { class: "legend" },
    h("li", { class: "key-bars" }, "members who joined (left scale)"),
    LINES.map(([, label], index) => h("li", { class: `key-line line-${index}` }, `${label} (right scale)`)),
  );
  return h("figure", { class: "cohort-figure" }, figure, legend);
}

function table(cohorts) {
  return h(
    "table",
    { class: "data", testid: "cohorts-table" },
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        ["Join month", "Members", "Buyers", "Next month", "Sixth month", "First within 7 days", "Second within 30 days"].map(
          (label) => h("th", {}, label),
        ),
      ),
    ),
    h(
      "tbody",
      {},
      cohorts.map((cohort) =>
        h(
          "tr",
          { testid: "cohort-row" },
          h("td", {}, cohort.month),
          h("td", { class: "num" }, count(cohort.members)),
          h("td", { class: "num" }, count(cohort.buyers)),
          [cohort.next_month_repurchase, cohort.six_month_repurchase, cohort.first_purchase_7d, cohort.second_purchase_30d].map(
            (share) => h("td", { class: "num" }, percent(share)),
          ),
        ),
      ),
    ),
  );
}

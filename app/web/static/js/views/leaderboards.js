// Leaderboards: a board, a calendar period (this one, or the one holding a picked day) and,
// for a group's own monthly board, a circle; ranked members in a table that downloads. The
// sharers board is money: shown in its currency, which the user names when the period sold
// in several (the service says which).

import * as api from "../api.js";
import { downloadable, guarded, h, memberLink } from "../dom.js";
import { count, dateToMs, money, utcDate } from "../format.js";
import { tierBadge } from "../badges.js";

const BOARDS = [
  ["inviters", "Most new invitees"],
  ["paid_inviters", "Most new paid invitees"],
  ["downline_growth", "Fastest growing downlines"],
  ["new_phoenixes", "New at the top tier"],
  ["sharers", "Most sales through share links"],
];
// The boards whose values are money (app/domain/leaderboards.py MONEY_BOARDS).
const MONEY_BOARDS = new Set(["sharers"]);
const PERIODS = [
  ["month", "Month"],
  ["week", "Week"],
  ["day", "Day"],
  ["all", "All time"],
];

export function render(section, { context }) {
  const board = h(
    "select",
    { testid: "board-select" },
    BOARDS.map(([value, label]) => h("option", { value }, label)),
  );
  const period = h(
    "select",
    { testid: "period-select" },
    PERIODS.map(([value, label]) => h("option", { value }, label)),
  );
  const day = h("input", { type: "date", testid: "board-day", title: "a day in the period (UTC); empty: now" });
  const circle = h("input", { placeholder: "circle id (optional)", testid: "board-circle" });
  const currency = h("input", {
    placeholder: "e.g. CNY",
    size: 5,
    maxlength: 3,
    testid: "board-currency",
    title: "the currency of a money board; empty: the one its sales are in",
  });
  const currencyLabel = h("label", {}, "Currency ", currency);
  // Only a money board takes a currency (the service refuses one on a board that counts).
  const showCurrency = () => {
    currencyLabel.hidden = !MONEY_BOARDS.has(board.value);
  };
  board.addEventListener("change", showCurrency);
  showCurrency();
  const form = h(
    "form",
    { class: "toolbar", testid: "board-form" },
    h("label", {}, "Board ", board),
    h("label", {}, "Period ", period),
    h("label", {}, "Holding ", day),
    h("label", {}, "Circle ", circle),
    currencyLabel,
    h("button", { type: "submit", testid: "board-submit" }, "Show"),
  );
  const result = h("div", { testid: "board-result" });
  const show = () => {
    const query = { period: period.value, limit: 100 };
    if (day.value) query.at = dateToMs(day.value);
    if (circle.value.trim()) query.circle = circle.value.trim();
    if (MONEY_BOARDS.has(board.value) && currency.value.trim()) query.currency = currency.value.trim().toUpperCase();
    load(result, board.value, query, context);
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    show();
  });
  section.append(h("h2", {}, "Leaderboards"), form, result);
  show();
}

async function load(result, board, query, context) {
  const answer = await guarded(result, () => api.get(`/v1/leaderboards/${board}`, query));
  if (!answer) return;
  const span = answer.period.kind === "all" ? "all time" : `${utcDate(answer.period.from)} to ${utcDate(answer.period.to - 1)}`;
  const note = h(
    "p",
    { class: "hint", testid: "board-period" },
    `${span}${answer.circle ? `, circle ${answer.circle}` : ""} (UTC)${answer.currency ? `; net sales in ${answer.currency}` : ""}`,
  );
  if (!answer.items.length) {
    result.replaceChildren(note, h("p", { class: "notice", testid: "board-empty" }, "Nobody on this board for the period."));
    return;
  }
  const table = h(
    "table",
    { class: "data", testid: "board-table", dataset: { board } },
    h("thead", {}, h("tr", {}, ["Rank", "Member", "Tier", answer.currency ? "Net sales" : "Value", "Reached"].map((label) => h("th", {}, label)))),
    h(
      "tbody",
      {},
      answer.items.map((item) =>
        h(
          "tr",
          { testid: "board-row", dataset: { memberId: item.member_id } },
          h("td", { class: "num" }, String(item.rank)),
          h("td", {}, memberLink(item.member_id, item.name ?? item.member_id)),
          h("td", {}, tierBadge(item.tier, context)),
          h(
            "td",
            { class: "num", testid: "board-value", title: answer.currency ? `${item.value} minor units` : null },
            answer.currency ? `${money(item.value)} ${answer.currency}` : count(item.value),
          ),
          h("td", {}, item.achieved_at === null ? "–" : utcDate(item.achieved_at)),
        ),
      ),
    ),
  );
  result.replaceChildren(note, downloadable(table, `leaderboard-${board}`));
}

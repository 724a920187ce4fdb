// The landing page: members, paid members and conversion; the last 12 months (new and
// running members, net sales, commissions) and the last 12 weeks of joiners, each with bars;
// the top of every leaderboard this month. Every table downloads as CSV.

import * as api from "../api.js";
import { downloadable, guarded, h, memberLink } from "../dom.js";
import { count, money, percent, utcDate } from "../format.js";
import { tierBadge } from "../badges.js";

const BOARDS = [
  ["inviters", "Most new invitees"],
  ["paid_inviters", "Most new paid invitees"],
  ["downline_growth", "Fastest growing downlines"],
  ["new_phoenixes", "New at the top tier"],
  // Money in the one currency the month sold in; a month that sold in several shows the
  // service's problem naming them (the Leaderboards page picks one).
  ["sharers", "Most sales through share links"],
];
const TOP = 5;

export function render(section, { context }) {
  const result = h("div", { testid: "dashboard-result" });
  const boards = h("div", { class: "boards", testid: "dashboard-boards" });
  section.append(h("h2", {}, "Dashboard"), result, h("h3", {}, "Leaderboards this month"), boards);
  show(result);
  for (const [board, title] of BOARDS) showBoard(boards, board, title, context);
}

async function show(result) {
  const answer = await guarded(result, () => api.get("/v1/analytics/dashboard"));
  if (!answer) return;
  result.replaceChildren(
    h(
      "div",
      { class: "kpis" },
      kpi("Members", count(answer.members), "kpi-members"),
      kpi("Paid members", count(answer.paid_members), "kpi-paid"),
      kpi("Paid conversion", percent(answer.paid_conversion), "kpi-conversion"),
    ),
    h("h3", {}, "By month"),
    downloadable(monthsTable(answer.months), "dashboard-months"),
    h("h3", {}, "New members by week"),
    downloadable(weeksTable(answer.weeks), "dashboard-weeks"),
  );
}

function kpi(label, value, testid) {
  return h("div", { class: "kpi card" }, h("div", { class: "hint" }, label), h("strong", { testid }, value));
}

function bar(value, largest) {
  const element = h("span", { class: "bar proposed" });
  element.style.width = `${(100 * value) / Math.max(1, largest)}%`;
  return h("div", { class: "bar-track", title: count(value) }, element);
}

function amounts(byCurrency) {
  const entries = Object.entries(byCurrency);
  return entries.length ? entries.map(([currency, amount]) => `${money(amount)} ${currency}`).join("; ") : "–";
}

function monthsTable(months) {
  const largest = Math.max(...months.map((month) => month.new_members));
  return h(
    "table",
    { class: "data", testid: "dashboard-months" },
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        ["Month", "New members", "New paid", "Members", "Paid members", "Net sales", "Commission", ""].map((label) =>
          h("th", {}, label),
        ),
      ),
    ),
    h(
      "tbody",
      {},
      months.map((month) =>
        h(
          "tr",
          { testid: "month-row", dataset: { month: month.month } },
          h("td", {}, month.month),
          h("td", { class: "num" }, count(month.new_members)),
          h("td", { class: "num" }, count(month.new_paid)),
          h("td", { class: "num" }, count(month.members)),
          h("td", { class: "num" }, count(month.paid_members)),
          h("td", { class: "num" }, amounts(month.net_sales)),
          h("td", { class: "num" }, amounts(month.commission)),
          h("td", { class: "bars" }, bar(month.new_members, largest)),
        ),
      ),
    ),
  );
}

function weeksTable(weeks) {
  const largest = Math.max(...weeks.map((week) => week.new_members));
  return h(
    "table",
    { class: "data", testid: "dashboard-weeks" },
    h("thead", {}, h("tr", {}, h("th", {}, "Week from"), h("th", {}, "New members"), h("th", {}, ""))),
    h(
      "tbody",
      {},
      weeks.map((week) =>
        h(
          "tr",
          { testid: "week-row" },
          h("td", {}, utcDate(week.week_start)),
          h("td", { class: "num" }, count(week.new_members)),
          h("td", { class: "bars" }, bar(week.new_members, largest)),
        ),
      ),
    ),
  );
}

async function showBoard(boards, board, title, context) {
  const slot = h("div", { class: "board", testid: "board", dataset: { board } });
  boards.append(slot);
  const answer = await guarded(slot, () => api.get(`/v1/leaderboards/${board}`, { period: "month", limit: TOP }));
  if (!answer) return;
  const table = h(
    "table",
    { class: "data", testid: `board-${board}` },
    h("thead", {}, h("tr", {}, h("th", {}, "#"), h("th", {}, "Member"), h("th", {}, "Tier"), h("th", {}, "Value"))),
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
          h("td", { class: "num" }, answer.currency ? `${money(item.value)} ${answer.currency}` : count(item.value)),
        ),
      ),
    ),
  );
  slot.replaceChildren(
    h("h4", {}, title),
    answer.items.length ? downloadable(table, `leaderboard-${board}`) : h("p", { class: "notice" }, "Nobody yet this month."),
  );
}

// Payouts for the finance team: the batches, newest first, and a new one drafted from the
// members' available balances; a batch's items with approve, export (the bank's CSV) and
// each transfer marked paid or failed. Only an admin gets the buttons (`manage_payouts`).

import * as api from "../api.js";
import { append, downloadable, guarded, h, memberLink, problemBox } from "../dom.js";
import { count, money, utcTime } from "../format.js";

// Each batch's last export this visit (a data: URL), linked again after a re-render.
const lastExport = new Map();

export function render(section, { param, context }) {
  const manage = context.actions.includes("manage_payouts");
  if (param) renderBatch(section, param, manage);
  else renderList(section, manage);
}

function renderList(section, manage) {
  const list = h("div", { testid: "payouts-list" });
  section.append(h("h2", {}, "Payouts"));
  if (manage) section.append(draftForm());
  section.append(list);
  loadList(list);
}

async function loadList(list) {
  const page = await guarded(list, () => api.get("/v1/payouts", { limit: 50 }));
  if (!page) return;
  if (!page.items.length) {
    list.replaceChildren(h("p", { class: "notice", testid: "payouts-empty" }, "No batch yet."));
    return;
  }
  list.replaceChildren(
    h(
      "table",
      { class: "data", testid: "payouts-table" },
      h("thead", {}, h("tr", {}, ["Batch", "Status", "As of", "Currency", "Items", "Total"].map((t) => h("th", {}, t)))),
      h(
        "tbody",
        {},
        page.items.map((batch) =>
          h(
            "tr",
            { testid: "payout-row", dataset: { payoutId: batch.id, status: batch.status } },
            h("td", {}, h("a", { href: `#/payouts/${encodeURIComponent(batch.id)}` }, batch.id)),
            h("td", {}, batch.status),
            h("td", {}, utcTime(batch.as_of)),
            h("td", {}, batch.currency),
            h("td", { class: "num" }, count(batch.items.length)),
            h("td", { class: "num" }, money(batch.total)),
          ),
        ),
      ),
    ),
  );
}

function draftForm() {
  const id = h("input", { name: "id", required: true, placeholder: "2026-11-CNY", testid: "payout-id" });
  const currency = h("input", { name: "currency", required: true, value: "CNY", size: "4", testid: "payout-currency" });
  const minimum = h("input", { name: "minimum", type: "number", min: "1", value: "100", testid: "payout-minimum" });
  const problems = h("div", {});
  const form = h(
    "form",
    { class: "toolbar", testid: "payout-form" },
    h("label", {}, "Batch id ", id),
    h("label", {}, "Currency ", currency),
    h("label", {}, "Minimum (minor units) ", minimum),
    h("button", { type: "submit", testid: "payout-draft" }, "Draft batch"),
    problems,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    problems.replaceChildren();
    try {
      const body = { id: id.value.trim(), currency: currency.value.trim(), minimum: Number(minimum.value) };
      const batch = await api.post("/v1/payouts", body);
      window.location.hash = `#/payouts/${encodeURIComponent(batch.id)}`;
    } catch (error) {
      problems.replaceChildren(problemBox(error));
    }
  });
  return form;
}

function renderBatch(section, payoutId, manage) {
  const body = h("div", { testid: "payout-detail" });
  section.append(h("p", {}, h("a", { href: "#/payouts" }, "← all batches")), h("h2", {}, `Batch ${payoutId}`), body);
  loadBatch(body, payoutId, manage);
}

async function loadBatch(body, payoutId, manage) {
  const batch = await guarded(body, () => api.get(`/v1/payouts/${encodeURIComponent(payoutId)}`));
  if (!batch) return;
  const problems = h("div", {});
  const reload = () => loadBatch(body, payoutId, manage);
  const act = (work) => async () => {
    problems.replaceChildren();
    try {
      await work();
      reload();
    } catch (error) {
      problems.replaceChildren(problemBox(error));
    }
  };
  const path = `/v1/payouts/${encodeURIComponent(batch.id)}`;
  const actions = h("div", { class: "toolbar" });
  if (manage && batch.status === "draft") {
    actions.append(h("button", { type: "button", testid: "payout-approve", onclick: act(() => api.post(`${path}/approve`)) }, "Approve"));
  }
  if (manage && batch.status !== "draft") {
    // The file stays linked after the view re-renders (the first export moves the batch).
    const exported = lastExport.get(batch.id);
    const file = h("a", { download: `payout-${batch.id}.csv`, href: exported, hidden: !exported, testid: "payout-export-file" }, "download again");
    const exporter = act(async () => {
      const text = await api.getText(`${path}/export`);
      file.href = `data:text/csv;charset=utf-8,${encodeURIComponent(text)}`;
      lastExport.set(batch.id, file.href);
      file.click();
    });
    actions.append(h("button", { type: "button", testid: "payout-export", onclick: exporter }, "Export CSV for the bank"), file);
  }
  body.replaceChildren();
  append(body, [
    h(
      "p",
      { class: "meta", testid: "payout-meta", dataset: { status: batch.status } },
      `${batch.status} · as of ${utcTime(batch.as_of)} · ${batch.currency} · minimum ${money(batch.minimum)} · `,
      `${count(batch.items.length)} items · total ${money(batch.total)}`,
    ),
    actions,
    problems,
    downloadable(itemsTable(batch, manage && ["exported", "settled"].includes(batch.status), act, path), `payout-${batch.id}-items`),
    batch.skipped.length ? skippedTable(batch.skipped) : null,
    h("h3", {}, "History"),
    h(
      "ul",
      { testid: "payout-events" },
      batch.events.map((event) =>
        h("li", {}, `${utcTime(event.at)} · ${event.action}${event.member_id ? ` ${event.member_id}` : ""} · ${event.actor_role} (${event.actor_key_id})`),
      ),
    ),
  ]);
}

function itemsTable(batch, settleable, act, path) {
  return h(
    "table",
    { class: "data", testid: "payout-items" },
    h("thead", {}, h("tr", {}, ["Member", "Amount", "Entries", "Status", "Reference / reason", ""].map((t) => h("th", {}, t)))),
    h(
      "tbody",
      {},
      batch.items.map((item) => {
        const member = encodeURIComponent(item.member_id);
        const controls = [];
        if (settleable && item.status === "open") {
          const reference = h("input", { name: "reference", placeholder: "bank reference / reason", testid: "item-reference" });
          controls.push(
            reference,
            h("button", { type: "button", testid: "item-paid", onclick: act(() => api.post(`${path}/items/${member}/paid`, { reference: reference.value.trim() })) }, "Paid"),
            h("button", { type: "button", testid: "item-failed", onclick: act(() => api.post(`${path}/items/${member}/failed`, { reason: reference.value.trim() })) }, "Failed"),
          );
        }
        return h(
          "tr",
          { testid: "payout-item", dataset: { memberId: item.member_id, status: item.status } },
          h("td", {}, memberLink(item.member_id), " ", h("a", { href: `#/statement/${member}`, testid: "item-statement" }, "statement")),
          h("td", { class: "num" }, money(item.amount)),
          h("td", { class: "num" }, count(item.entry_ids.length)),
          h("td", { testid: "item-status" }, item.status),
          h("td", {}, item.reference ?? item.reason ?? ""),
          h("td", {}, controls),
        );
      }),
    ),
  );
}

function skippedTable(skipped) {
  return h(
    "div",
    {},
    h("h3", {}, "Skipped"),
    h(
      "table",
      { class: "data", testid: "payout-skipped" },
      h("thead", {}, h("tr", {}, ["Member", "Available", "Why"].map((t) => h("th", {}, t)))),
      h("tbody", {}, skipped.map((s) => h("tr", {}, h("td", {}, memberLink(s.member_id)), h("td", { class: "num" }, money(s.available)), h("td", {}, s.reason)))),
    ),
  );
}

// Webhooks for the admin: the endpoints with their deliveries counted, a form registering a
// new one (its signing secret shown right after, once: the API never gives it again) and
// disable; an endpoint's recent deliveries (#/webhooks/<id>), newest first, filtered by
// state and paged by the API's cursor, each with its attempts and a resend button.

import * as api from "../api.js";
import { append, guarded, h, memberLink, problemBox } from "../dom.js";
import { count, utcSeconds, utcTime } from "../format.js";

// app/domain/webhooks.py EVENT_TYPES, in its order (tests/web/test_router.py holds them equal).
const EVENT_TYPES = [
  "member.registered",
  "member.sponsor_changed",
  "member.paid",
  "member.tier_changed",
  "ledger.entry_created",
  "ledger.entry_released",
  "payout.item_paid",
  "points.expiring",
];
const STATES = ["pending", "delivered", "failed"];
const PAGE = 20;
const SHOWN_ATTEMPTS = 3;

export function render(section, { param }) {
  if (param) renderEndpoint(section, param);
  else renderList(section);
}

function hookPath(webhookId, tail = "") {
  return `/v1/webhooks/${encodeURIComponent(webhookId)}${tail}`;
}

// Asks first, then disables; `done` runs after. A problem lands in `problems`.
async function disable(webhookId, problems, done) {
  const sure = window.confirm(
    `Disable webhook ${webhookId}? Nothing more is sent to it; its deliveries stay listed. It cannot be enabled again.`,
  );
  if (!sure) return;
  problems.replaceChildren();
  try {
    await api.remove(hookPath(webhookId));
    done();
  } catch (error) {
    problems.replaceChildren(problemBox(error));
  }
}

function renderList(section) {
  const list = h("div", { testid: "webhooks-list" });
  const secretSlot = h("div", {});
  const reload = () => loadList(list);
  section.append(
    h("h2", {}, "Webhooks"),
    h("p", { class: "hint" }, "Endpoints the service POSTs its events to, signed with each endpoint's secret (Standard Webhooks)."),
    createForm(secretSlot, reload),
    secretSlot,
    list,
  );
  reload();
}

async function loadList(list) {
  const hooks = await guarded(list, () => api.get("/v1/webhooks"));
  if (!hooks) return;
  if (!hooks.length) {
    list.replaceChildren(h("p", { class: "notice", testid: "webhooks-empty" }, "No endpoint yet."));
    return;
  }
  const problems = h("div", {});
  const headings = ["Endpoint", "URL", "Events", "Status", "Created", "Pending", "Delivered", "Failed", ""];
  list.replaceChildren(
    problems,
    h(
      "table",
      { class: "data", testid: "webhooks-table" },
      h("thead", {}, h("tr", {}, headings.map((t) => h("th", {}, t)))),
      h(
        "tbody",
        {},
        hooks.map((hook) =>
          h(
            "tr",
            { testid: "webhook-row", dataset: { webhookId: hook.id, status: hook.status } },
            h(
              "td",
              {},
              h("a", { href: `#/webhooks/${encodeURIComponent(hook.id)}`, testid: "webhook-open" }, hook.id),
              hook.description ? h("div", { class: "hint" }, hook.description) : null,
            ),
            h("td", { class: "url" }, hook.url),
            h("td", {}, h("ul", { class: "plain" }, hook.events.map((type) => h("li", {}, type)))),
            h("td", { testid: "webhook-status" }, hook.status),
            h("td", {}, utcTime(hook.created_at)),
            h("td", { class: "num", testid: "webhook-pending" }, count(hook.pending)),
            h("td", { class: "num", testid: "webhook-delivered" }, count(hook.delivered)),
            h("td", { class: "num", testid: "webhook-failed" }, count(hook.failed)),
            h(
              "td",
              {},
              hook.status === "active"
                ? h(
                    "button",
                    { type: "button", testid: "webhook-disable", onclick: () => disable(hook.id, problems, () => loadList(list)) },
                    "Disable",
                  )
                : null,
            ),
          ),
        ),
      ),
    ),
  );
}

function createForm(secretSlot, reload) {
  const id = h("input", { name: "id", placeholder: "crm (optional)", testid: "webhook-id" });
  const url = h("input", {
    name: "url",
    type: "url",
    required: true,
    size: "44",
    placeholder: "the http(s) URL events are POSTed to",
    testid: "webhook-url",
  });
  const description = h("input", { name: "description", size: "30", testid: "webhook-description" });
  const boxes = EVENT_TYPES.map((type) =>
    h("input", { type: "checkbox", name: "events", value: type, testid: "webhook-event" }),
  );
  const problems = h("div", { testid: "webhook-form-problems" });
  const form = h(
    "form",
    { class: "webhook-form", testid: "webhook-form" },
    h(
      "div",
      { class: "toolbar" },
      h("label", {}, "Id ", id),
      h("label", {}, "URL ", url),
      h("label", {}, "Description ", description),
    ),
    h(
      "fieldset",
      { class: "events" },
      h("legend", {}, "Events it receives"),
      boxes.map((box) => h("label", {}, box, ` ${box.value}`)),
    ),
    h("div", { class: "toolbar" }, h("button", { type: "submit", testid: "webhook-create" }, "Register endpoint")),
    problems,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    problems.replaceChildren();
    const body = {
      url: url.value.trim(),
      events: boxes.filter((box) => box.checked).map((box) => box.value),
      description: description.value.trim(),
    };
    if (id.value.trim()) body.id = id.value.trim();
    try {
      const created = await api.post("/v1/webhooks", body);
      // Shown here and nowhere else: the page keeps it in no variable, storage or URL.
      secretSlot.replaceChildren(secretBox(created));
      form.reset();
      reload();
    } catch (error) {
      problems.replaceChildren(problemBox(error));
    }
  });
  return form;
}

function secretBox(created) {
  const field = h("input", {
    type: "text",
    readonly: true,
    value: created.secret,
    size: "60",
    spellcheck: "false",
    "aria-label": "signing secret",
    testid: "webhook-secret",
    onfocus: (event) => event.target.select(),
  });
  const status = h("span", { class: "hint", testid: "webhook-secret-copied" });
  const copy = async () => {
    field.focus();
    field.select();
    try {
      await navigator.clipboard.writeText(field.value);
    } catch {
      document.execCommand("copy");
    }
    status.textContent = "copied";
  };
  const box = h(
    "div",
    { class: "secret-once", role: "alert", testid: "webhook-secret-box", dataset: { webhookId: created.id } },
    h("strong", {}, `Signing secret of ${created.id}`),
    h(
      "p",
      { testid: "webhook-secret-warning" },
      "Copy it now: it is shown only this once and will not be shown again. ",
      "Verify each request's webhook-signature with it.",
    ),
    h(
      "div",
      { class: "toolbar" },
      field,
      h("button", { type: "button", testid: "webhook-secret-copy", onclick: copy }, "Copy"),
      status,
      h("button", { type: "button", testid: "webhook-secret-done", onclick: () => box.remove() }, "I have stored it"),
    ),
  );
  return box;
}

function renderEndpoint(section, webhookId) {
  const summary = h("div", { testid: "webhook-detail" });
  const deliveries = h("div", { testid: "deliveries" });
  section.append(
    h("p", {}, h("a", { href: "#/webhooks" }, "← all webhooks")),
    h("h2", {}, `Webhook ${webhookId}`),
    summary,
    h("h3", {}, "Recent deliveries"),
    deliveries,
  );
  // Only the latest answer is drawn (a resend and a refresh may ask one after the other).
  let asked = 0;
  const refreshSummary = () => {
    const mine = ++asked;
    loadSummary(summary, webhookId, () => mine === asked, refreshSummary);
  };
  refreshSummary();
  deliveryList(deliveries, webhookId, refreshSummary);
}

async function loadSummary(summary, webhookId, latest, refreshSummary) {
  let hook;
  try {
    hook = await api.get(hookPath(webhookId));
  } catch (error) {
    if (latest()) summary.replaceChildren(problemBox(error));
    return;
  }
  if (!latest()) return;
  const problems = h("div", {});
  const actions = h("div", { class: "toolbar" });
  if (hook.status === "active") {
    actions.append(
      h(
        "button",
        { type: "button", testid: "webhook-disable", onclick: () => disable(hook.id, problems, refreshSummary) },
        "Disable",
      ),
    );
  }
  summary.replaceChildren();
  append(summary, [
    h(
      "p",
      { class: "meta", testid: "webhook-meta", dataset: { status: hook.status } },
      `${hook.status} · ${hook.url} · created ${utcTime(hook.created_at)}`,
      hook.description ? ` · ${hook.description}` : "",
    ),
    h("p", { class: "meta" }, `Events: ${hook.events.join(", ")}`),
    h(
      "p",
      { class: "meta", testid: "webhook-counts" },
      `${count(hook.pending)} pending · ${count(hook.delivered)} delivered · ${count(hook.failed)} failed`,
    ),
    actions,
    problems,
  ]);
}

function deliveryList(container, webhookId, refreshSummary) {
  const state = h(
    "select",
    { name: "state", testid: "deliveries-state" },
    h("option", { value: "" }, "any state"),
    STATES.map((name) => h("option", { value: name }, name)),
  );
  const refresh = h("button", { type: "button", testid: "deliveries-refresh" }, "Refresh");
  const result = h("div", {});
  // A fresh node per load: an answer to an earlier filter, arriving late, lands in a
  // detached node and is never seen.
  const load = () => {
    const target = h("div", {});
    result.replaceChildren(target);
    loadDeliveries(target, webhookId, state.value, refreshSummary);
  };
  const reload = () => {
    refreshSummary();
    load();
  };
  state.addEventListener("change", reload);
  refresh.addEventListener("click", reload);
  container.append(h("div", { class: "toolbar" }, h("label", {}, "State ", state), refresh), result);
  load();
}

async function loadDeliveries(result, webhookId, state, refreshSummary) {
  const query = { state, limit: PAGE };
  const page = await guarded(result, () => api.get(hookPath(webhookId, "/deliveries"), query));
  if (!page) return;
  if (!page.items.length) {
    const what = state ? `No ${state} delivery.` : "No delivery yet.";
    result.replaceChildren(h("p", { class: "notice", testid: "deliveries-empty" }, what));
    return;
  }
  const body = h("tbody", {});
  const problems = h("div", {});
  const more = h("button", { type: "button", testid: "deliveries-more" }, "More");
  const shared = { webhookId, problems, refreshSummary };
  const add = (items) => body.append(...items.map((delivery) => deliveryRow(delivery, shared)));
  const pageOn = (next) => {
    more.hidden = !next;
    more.onclick = async () => {
      const following = await guarded(problems, () => api.get(hookPath(webhookId, "/deliveries"), { ...query, cursor: next }));
      if (!following) return;
      add(following.items);
      pageOn(following.next_cursor);
    };
  };
  const headings = ["Event", "Member", "Written", "State", "Attempts", "Next attempt", "Answers", ""];
  add(page.items);
  pageOn(page.next_cursor);
  result.replaceChildren(
    problems,
    h(
      "table",
      { class: "data deliveries", testid: "deliveries-table" },
      h("thead", {}, h("tr", {}, headings.map((t) => h("th", {}, t)))),
      body,
    ),
    more,
  );
}

// `shared`: the endpoint's id, the slot for a refused resend, and what redraws the counts.
function deliveryRow(delivery, shared) {
  const row = h(
    "tr",
    {
      testid: "delivery-row",
      dataset: {
        eventId: delivery.event_id,
        memberId: delivery.member_id,
        state: delivery.state,
        attempts: String(delivery.attempts),
      },
    },
    h("td", {}, delivery.type, h("div", { class: "event-id", title: "its webhook-id header" }, delivery.event_id)),
    h("td", {}, memberLink(delivery.member_id)),
    h("td", { class: "when" }, utcSeconds(delivery.written_at)),
    h("td", { class: `state-${delivery.state}`, testid: "delivery-state" }, delivery.state),
    h("td", { class: "num", testid: "delivery-attempts" }, count(delivery.attempts)),
    h("td", { class: "when" }, delivery.next_attempt_at === null ? "–" : utcSeconds(delivery.next_attempt_at)),
    h("td", {}, attemptLog(delivery)),
  );
  row.append(h("td", {}, delivery.state === "pending" ? null : resendButton(delivery, row, shared)));
  return row;
}

// The attempts the API kept (the last 30), newest first: when, the answer or the error.
// The latest few are listed; the others fold under "earlier attempts".
function attemptLog(delivery) {
  if (!delivery.log.length) return h("span", { class: "hint" }, "not tried yet");
  const items = [...delivery.log].reverse().map(attemptItem);
  const latest = items.slice(0, SHOWN_ATTEMPTS);
  const earlier = items.slice(SHOWN_ATTEMPTS);
  const dropped = delivery.attempts - delivery.log.length;
  return h(
    "div",
    { class: "attempts" },
    h("ul", { class: "plain" }, latest),
    earlier.length || dropped > 0
      ? h(
          "details",
          { testid: "earlier-attempts" },
          h("summary", {}, `${count(earlier.length + dropped)} earlier attempts`),
          h("ul", { class: "plain" }, earlier),
          dropped > 0 ? h("p", { class: "hint" }, `the ${count(dropped)} oldest are not kept`) : null,
        )
      : null,
  );
}

function attemptItem(attempt) {
  return h(
    "li",
    {
      testid: "delivery-attempt",
      class: attempt.error ? "attempt-bad" : "attempt-good",
      dataset: { statusCode: attempt.status_code === null ? "" : String(attempt.status_code), at: String(attempt.at) },
    },
    h(
      "span",
      { class: "when" },
      `${utcSeconds(attempt.at)} · `,
      h("strong", {}, attempt.status_code === null ? "no answer" : `HTTP ${attempt.status_code}`),
      ` · ${count(attempt.duration_ms)} ms`,
    ),
    attempt.error ? h("div", { class: "hint", testid: "attempt-error" }, attempt.error) : null,
  );
}

// Pending again from now (the API's answer replaces the row); her later events wait for it.
function resendButton(delivery, row, shared) {
  const send = async () => {
    shared.problems.replaceChildren();
    try {
      const path = hookPath(shared.webhookId, `/deliveries/${encodeURIComponent(delivery.event_id)}/resend`);
      row.replaceWith(deliveryRow(await api.post(path), shared));
      shared.refreshSummary();
    } catch (error) {
      shared.problems.replaceChildren(problemBox(error));
    }
  };
  return h("button", { type: "button", testid: "delivery-resend", onclick: send }, "Resend");
}

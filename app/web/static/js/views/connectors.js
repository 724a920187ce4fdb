// Key connectors: the latest run's ranking by score or by any one part, each row with the
// parts that make her score (the reasons), optionally within one circle. An admin can start
// a run here and follow it.

import * as api from "../api.js";
import { downloadable, guarded, h, memberLink, problemBox } from "../dom.js";
import { count, decimal, percent, utcTime } from "../format.js";

// The parts, as the API names them, and how each reads as a reason.
const PARTS = [
  ["paid_direct_invites", "Paid direct invites", count],
  ["growth_30d", "Joined her downline, 30 days", count],
  ["growth_90d", "Joined her downline, 90 days", count],
  ["circles_reached", "Circles reached", count],
  ["betweenness", "Betweenness", (value) => decimal(value, 4)],
  ["rising", "Rising", (value) => decimal(value, 3)],
];
const POLL_MS = 500;
const SOURCES = { gds: "Neo4j Graph Data Science", igraph: "igraph", networkx: "networkx" };
// Kept for the rest of the visit, so coming back shows the same ranking.
const query = { sort: "score", circle: "", limit: 50 };

export function render(section, { context }) {
  const sort = h(
    "select",
    { name: "sort", testid: "connectors-sort" },
    h("option", { value: "score", selected: query.sort === "score" }, "Score"),
    PARTS.map(([key, label]) => h("option", { value: key, selected: query.sort === key }, label)),
  );
  const circle = h("input", { name: "circle", value: query.circle, placeholder: "any circle", testid: "connectors-circle" });
  const limit = h("input", {
    name: "limit", type: "number", min: "1", max: "1000", value: String(query.limit), testid: "connectors-limit",
  });
  const form = h(
    "form",
    { class: "toolbar", testid: "connectors-form" },
    h("label", {}, "Sort by ", sort),
    h("label", {}, "Circle ", circle),
    h("label", {}, "Top ", limit),
    h("button", { type: "submit", testid: "connectors-apply" }, "Show"),
  );
  const meta = h("p", { class: "meta", testid: "connectors-meta" });
  const table = h("div", { testid: "connectors-results" });
  const refresh = () => {
    query.sort = sort.value;
    query.circle = circle.value.trim();
    query.limit = Number(limit.value) || 50;
    load(meta, table);
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    refresh();
  });
  sort.addEventListener("change", refresh);
  section.append(h("h2", {}, "Key connectors"), form);
  if (context.actions.includes("run_connectors")) section.append(runControls(() => load(meta, table)));
  section.append(meta, table);
  load(meta, table);
}

async function load(meta, table) {
  const page = await guarded(table, () =>
    api.get("/v1/connectors", { sort: query.sort, limit: query.limit, circle: query.circle || undefined }),
  );
  if (!page) return;
  if (page.computed_at === null) {
    meta.textContent = "No connector run yet.";
    table.replaceChildren(h("p", { class: "notice", testid: "connectors-empty" }, "Nothing to rank until a run has scored the members."));
    return;
  }
  meta.replaceChildren(
    `Computed ${utcTime(page.computed_at)} · `,
    page.approximate
      ? h(
          "span",
          { class: "approximate", testid: "approximate", title: "betweenness estimated from sampled sources" },
          page.sources ? `approximate (${count(page.sources)} sampled sources, ± ${page.error_bound?.toExponential(1) ?? "?"})` : "approximate",
        )
      : h("span", { testid: "exact" }, "exact"),
    page.betweenness_source
      ? h("span", { testid: "betweenness-source" }, ` · betweenness by ${SOURCES[page.betweenness_source] ?? page.betweenness_source}`)
      : null,
    ` · ${count(page.items.length)} members`,
  );
  if (!page.items.length) {
    table.replaceChildren(h("p", { class: "notice", testid: "connectors-empty" }, "No member matches."));
    return;
  }
  table.replaceChildren(
    downloadable(
      h(
        "table",
        { class: "data", testid: "connectors-table", dataset: { sort: query.sort } },
        h(
          "thead",
          {},
          h("tr", {}, h("th", {}, "Rank"), h("th", {}, "Member"), header("score", "Score"), PARTS.map(([key, label]) => header(key, label))),
        ),
        h("tbody", {}, page.items.map(row)),
      ),
      "connectors",
    ),
  );
}

function header(key, label) {
  return h("th", { class: key === query.sort ? "sorted" : null, "aria-sort": key === query.sort ? "descending" : null }, label);
}

function row(item) {
  return h(
    "tr",
    { testid: "connector-row", dataset: { memberId: item.member_id } },
    h("td", { class: "num" }, String(item.rank)),
    h("td", {}, memberLink(item.member_id)),
    h("td", { class: `num${query.sort === "score" ? " sorted" : ""}`, testid: "score" }, decimal(item.score, 4)),
    PARTS.map(([key, , format]) =>
      h("td", { class: `num${query.sort === key ? " sorted" : ""}`, testid: `part-${key}` }, format(item.parts[key])),
    ),
  );
}

// "Run now": POST /v1/jobs/connectors (admin only), then poll the job until it ends.
function runControls(reload) {
  const status = h("span", { class: "job-status", testid: "job-status", role: "status" });
  const problems = h("div", {});
  const button = h("button", { type: "button", testid: "connectors-run" }, "Run now");
  button.addEventListener("click", async () => {
    button.disabled = true;
    problems.replaceChildren();
    try {
      const { job_id: jobId } = await api.post("/v1/jobs/connectors");
      const job = await follow(jobId, status);
      if (job.status === "succeeded") reload();
      else if (job.status === "failed") problems.replaceChildren(problemBox({ title: "The run failed", detail: job.error ?? "", status: 0 }));
    } catch (error) {
      problems.replaceChildren(problemBox(error));
    } finally {
      button.disabled = false;
    }
  });
  return h("div", { class: "toolbar" }, button, status, problems);
}

async function follow(jobId, status) {
  for (;;) {
    const job = await api.get(`/v1/jobs/${encodeURIComponent(jobId)}`);
    status.textContent = `${job.status} ${percent(job.progress)}`;
    status.dataset.status = job.status;
    if (job.status === "succeeded" || job.status === "failed") return job;
    // Leaving the view stops the polling; the run goes on in the service.
    if (!status.isConnected) return job;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

// The page: the key form, the hash routes (#/view/param) and which view renders where.

import * as api from "./api.js";
import { h, problemBox } from "./dom.js";
import * as chart from "./views/chart.js";
import * as cohorts from "./views/cohorts.js";
import * as dashboard from "./views/dashboard.js";
import * as leaderboards from "./views/leaderboards.js";
import * as connectors from "./views/connectors.js";
import * as payouts from "./views/payouts.js";
import * as search from "./views/search.js";
import * as statement from "./views/statement.js";
import * as tiers from "./views/tiers.js";
import * as tree from "./views/tree.js";
import * as webhooks from "./views/webhooks.js";

const VIEWS = { dashboard, search, tree, chart, leaderboards, connectors, tiers, cohorts, payouts, statement, webhooks };
const keyForm = document.querySelector("[data-testid=key-form]");
const keyInput = document.querySelector("[data-testid=key-input]");
const keyStatus = document.querySelector("[data-testid=key-status]");
const authProblem = document.querySelector("[data-testid=auth-problem]");
const main = document.getElementById("view");

// What /ui/context said about the key in use: its role and the tier ladder in force.
let context = null;

function showAuthProblem(error) {
  authProblem.replaceChildren(problemBox(error));
  authProblem.hidden = false;
  keyStatus.textContent = "key refused";
}

function clearAuthProblem() {
  authProblem.replaceChildren();
  authProblem.hidden = true;
}

api.onUnauthorized(showAuthProblem);

async function loadContext() {
  context = null;
  clearAuthProblem();
  if (!api.getKey()) {
    keyStatus.textContent = "no key";
    return;
  }
  keyStatus.textContent = "checking…";
  try {
    context = await api.get("/ui/context");
    keyStatus.textContent = `signed in as ${context.role}`;
    keyStatus.dataset.role = context.role;
  } catch (error) {
    delete keyStatus.dataset.role;
    if (error.status !== 401) showAuthProblem(error);
  }
}

// The views this key's role may open (from /ui/context); the others are not offered.
function allowedViews() {
  return (context?.views ?? []).filter((name) => name in VIEWS);
}

function parseHash() {
  const [name = "", ...rest] = window.location.hash.replace(/^#\/?/, "").split("/");
  const param = rest.length ? decodeURIComponent(rest.join("/")) : null;
  const allowed = allowedViews();
  // No view named (the landing page), or one the role may not open: the role's first.
  if (context && !allowed.includes(name)) return { name: allowed[0] ?? "search", param: null };
  return { name: name in VIEWS ? name : "search", param };
}

function render() {
  const { name, param } = parseHash();
  const allowed = allowedViews();
  for (const link of document.querySelectorAll("nav a")) {
    link.classList.toggle("active", link.dataset.view === name);
    link.hidden = Boolean(context) && !allowed.includes(link.dataset.view);
  }
  // A fresh section per render: answers still arriving for the previous view land in a
  // detached node and are never seen.
  const section = h("section", { class: `view view-${name}`, testid: `view-${name}` });
  main.replaceChildren(section);
  if (!context) {
    section.append(
      h("p", { class: "notice", testid: "needs-key" }, "Enter a valid API key above to use these pages."),
    );
    return;
  }
  VIEWS[name].render(section, { param, context });
}

keyForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const key = keyInput.value.trim();
  if (!key) return;
  api.setKey(key);
  keyInput.value = "";
  await loadContext();
  render();
});

document.querySelector("[data-testid=key-forget]").addEventListener("click", async () => {
  api.forgetKey();
  await loadContext();
  render();
});

window.addEventListener("hashchange", render);

await loadContext();
render();

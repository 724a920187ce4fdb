// The genealogy tree: a member with her first page of invitees, each node expanded on
// demand one level at a time (depth=1), wide levels paged with the node's next_cursor, a
// click on a name re-roots the view there, and the breadcrumb leads back up to the root.

import * as api from "../api.js";
import { paidMarker, tierBadge } from "../badges.js";
import { guarded, h, problemBox } from "../dom.js";
import { count, dateToMs, utcDate } from "../format.js";

const PAGE_SIZES = [10, 20, 50, 100];
// Kept across re-roots for the rest of the visit.
let pageSize = 20;
// The moment the tree is shown as of (the end of the picked UTC day); null: now.
let asOf = null;
const DAY_MS = 86_400_000;

// Every tree and upline read carries the moment, when one is picked.
function at(query) {
  return asOf === null ? query : { ...query, as_of: asOf };
}

export function render(section, { param, context }) {
  section.append(h("h2", {}, "Tree"));
  if (!param) {
    section.append(pickMember());
    return;
  }
  const breadcrumb = h("nav", { class: "breadcrumb", "aria-label": "upline", testid: "breadcrumb" });
  const body = h("div", { class: "tree", testid: "tree" });
  section.append(toolbar(section, param, context), breadcrumb, body);
  load(param, context, breadcrumb, body);
}

function pickMember() {
  const input = h("input", { required: true, placeholder: "member id", testid: "tree-member-input" });
  const form = h(
    "form",
    { class: "toolbar" },
    h("label", {}, "Show the tree of ", input),
    h("button", { type: "submit", testid: "tree-member-submit" }, "Open"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const id = input.value.trim();
    if (id) window.location.hash = `#/tree/${encodeURIComponent(id)}`;
  });
  return form;
}

function toolbar(section, memberId, context) {
  const select = h(
    "select",
    { testid: "tree-page-size" },
    PAGE_SIZES.map((size) => h("option", { value: String(size), selected: size === pageSize }, String(size))),
  );
  select.addEventListener("change", () => {
    pageSize = Number(select.value);
    section.replaceChildren();
    render(section, { param: memberId, context });
  });
  const date = h("input", {
    type: "date",
    testid: "tree-as-of",
    value: asOf === null ? "" : utcDate(asOf),
    title: "show the tree as it stood at the end of this day (UTC)",
  });
  date.addEventListener("change", () => {
    asOf = date.value ? dateToMs(date.value) + DAY_MS - 1 : null;
    section.replaceChildren();
    render(section, { param: memberId, context });
  });
  return h(
    "div",
    { class: "toolbar" },
    h("label", {}, "Invitees per page ", select),
    h("label", {}, " As of ", date),
    asOf === null ? null : h("span", { class: "hint", testid: "tree-as-of-note" }, `the network as it stood on ${utcDate(asOf)}`),
  );
}

async function load(memberId, context, breadcrumb, body) {
  const answers = await guarded(body, () =>
    Promise.all([
      api.get(api.memberPath(memberId, "/tree"), at({ depth: 1, children_limit: pageSize })),
      api.get(api.memberPath(memberId, "/upline"), at({})),
    ]),
  );
  if (!answers) return;
  const [root, upline] = answers;
  breadcrumb.replaceChildren(...crumbs(upline.path, root));
  const rootNode = treeNode(root, context);
  body.replaceChildren(h("ul", { class: "nodes", testid: "tree-root" }, rootNode.element));
  rootNode.show(root);
}

// The upline runs from her inviter to the root; the breadcrumb reads from the root down.
function crumbs(path, root) {
  const links = [...path].reverse().map((id) =>
    h("a", { href: `#/tree/${encodeURIComponent(id)}`, testid: "crumb", dataset: { memberId: id } }, id),
  );
  // The route stops at 100 ancestors: say so instead of passing the 100th off as the root.
  const cut = path.length >= 100 ? [h("span", { class: "crumb-cut", title: "more ancestors above" }, "…")] : [];
  const current = h(
    "span",
    { class: "crumb-current", "aria-current": "page", testid: "crumb-current", dataset: { memberId: root.id } },
    root.name ? `${root.name} (${root.id})` : root.id,
  );
  return [...cut, ...links, current].flatMap((item, index) => (index ? [h("span", { class: "sep" }, "›"), item] : [item]));
}

// One member in the tree, and the state of her listed invitees.
function treeNode(data, context) {
  const seen = new Set();
  let cursor = null;
  let loaded = false;
  const children = h("ul", { class: "nodes", testid: "children", hidden: true });
  const shown = h("span", { class: "shown", testid: "shown-count" });
  const problems = h("div", {});
  const more = h("button", { type: "button", class: "more", testid: "more", hidden: true }, "more");
  const footer = h("div", { class: "node-footer" }, shown, more);
  const hasChildren = data.direct_total > 0;
  const expander = h(
    "button",
    {
      type: "button",
      class: "expander",
      testid: "expand",
      "aria-expanded": "false",
      disabled: !hasChildren,
      title: hasChildren ? "show her invitees" : "no invitees",
    },
    hasChildren ? "+" : "·",
  );
  const element = h(
    "li",
    { class: "node", testid: "tree-node", dataset: { memberId: data.id } },
    h(
      "div",
      { class: "node-row" },
      expander,
      h(
        "a",
        { href: `#/tree/${encodeURIComponent(data.id)}`, class: "name", testid: "node-name", title: "show the tree from her" },
        data.name ?? data.id,
      ),
      data.name ? h("span", { class: "id" }, data.id) : null,
      tierBadge(data.tier, context),
      paidMarker(data.paid),
      h(
        "span",
        { class: "counts", testid: "counts" },
        `${count(data.direct_total)} direct · ${count(data.downline_total)} in downline`,
      ),
    ),
    problems,
    children,
    footer,
  );
  footer.hidden = true;

  function setExpanded(open) {
    children.hidden = !open;
    footer.hidden = !open;
    expander.textContent = open ? "−" : "+";
    expander.setAttribute("aria-expanded", String(open));
  }

  // Appends a page of her invitees. Pages follow live counters, so a child whose downline
  // grew past the cursor can come again: she is listed once.
  function show(page) {
    loaded = true;
    for (const child of page.children) {
      if (seen.has(child.id)) continue;
      seen.add(child.id);
      const node = treeNode(child, context);
      children.append(node.element);
      if (child.children.length) node.show(child);
    }
    cursor = page.next_cursor ?? null;
    more.hidden = cursor === null;
    more.textContent = `more (next ${pageSize})`;
    shown.textContent = `${count(seen.size)} of ${count(data.direct_total)} invitees shown`;
    setExpanded(true);
  }

  async function fetchPage(button) {
    button.disabled = true;
    problems.replaceChildren();
    try {
      const query = at({ depth: 1, children_limit: pageSize });
      if (cursor) query.cursor = cursor;
      show(await api.get(api.memberPath(data.id, "/tree"), query));
    } catch (error) {
      problems.replaceChildren(problemBox(error));
    } finally {
      button.disabled = button === expander ? !hasChildren : false;
    }
  }

  expander.addEventListener("click", () => {
    if (!loaded) fetchPage(expander);
    else setExpanded(children.hidden);
  });
  more.addEventListener("click", () => fetchPage(more));
  return { element, show };
}

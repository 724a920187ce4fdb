// Builds DOM nodes from data. Text always goes in as text nodes or textContent, never as
// markup, so nothing a member typed (a name, an id) can become HTML.

const PROPERTIES = new Set(["value", "checked", "disabled", "hidden", "selected"]);
const SVG_NS = "http://www.w3.org/2000/svg";

export function h(tag, props = {}, ...children) {
  return build(document.createElement(tag), props, children);
}

export function svg(tag, props = {}, ...children) {
  return build(document.createElementNS(SVG_NS, tag), props, children);
}

function build(node, props, children) {
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "testid") node.dataset.testid = value;
    else if (name === "dataset") Object.assign(node.dataset, value);
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (PROPERTIES.has(name)) node[name] = value;
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  append(node, children);
  return node;
}

export function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// A problem+json answer as the user sees it: title and status, detail, and each invalid
// field with its message.
export function problemBox(error) {
  const status = error.status ? ` (${error.status})` : "";
  const errors = Array.isArray(error.errors) ? error.errors : [];
  return h(
    "div",
    { class: "problem", role: "alert", testid: "problem", dataset: { status: String(error.status ?? "") } },
    h("strong", { testid: "problem-title" }, `${error.title ?? "Error"}${status}`),
    error.detail ? h("p", { testid: "problem-detail" }, error.detail) : null,
    errors.length
      ? h(
          "ul",
          { testid: "problem-errors" },
          errors.map((item) =>
            h("li", {}, `${(item.location ?? []).join(".")}: ${item.message ?? ""}`),
          ),
        )
      : null,
    error.title === undefined ? h("p", {}, String(error)) : null,
  );
}

// Runs `work`, showing a problem in `slot` if it throws; returns its value or undefined.
export async function guarded(slot, work) {
  slot.replaceChildren();
  try {
    return await work();
  } catch (error) {
    slot.replaceChildren(problemBox(error));
    return undefined;
  }
}

export function memberLink(memberId, label = memberId) {
  return h("a", { href: `#/tree/${encodeURIComponent(memberId)}`, dataset: { memberId } }, label);
}

// A table with a "Download CSV" button: the table's own cells (as shown) as a CSV file, so
// every table in the pages leaves with the numbers the user sees. Cells a spreadsheet would
// run as formulas get a leading apostrophe; a BOM makes Excel read Chinese names right.
export function downloadable(table, name) {
  const file = h("a", { download: `${name}.csv`, hidden: true, testid: "csv-file" });
  const button = h("button", { type: "button", class: "csv", testid: "csv-download" }, "Download CSV");
  button.addEventListener("click", () => {
    const lines = [...table.querySelectorAll("tr")].map((row) =>
      [...row.querySelectorAll("th, td")].map((cell) => csvCell(cell.textContent.trim())).join(","),
    );
    // A data: URL, not a blob: one, which the page's CSP would not let it read back.
    file.href = `data:text/csv;charset=utf-8,${encodeURIComponent("\ufeff" + lines.join("\r\n") + "\r\n")}`;
    file.click();
  });
  return h("div", { class: "downloadable" }, h("div", { class: "toolbar" }, button, file), table);
}

function csvCell(text) {
  const safe = /^[=+\-@\t\r]/.test(text) && !/^-?\d[\d,.]*%?$/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

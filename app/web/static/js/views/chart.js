// The genealogy as a drawing: a member's upline above her and her downline a few levels
// below, laid out as an org chart by d3-hierarchy's tidy tree (vendored in ../vendor, nothing
// fetched from elsewhere), coloured by tier, paid members ringed, wide levels cut to a
// "+n more" node, long uplines folded into "… n more". Wheel zooms, dragging pans, a click
// on a member re-roots the chart on her. Below it, how she is connected to another member
// (GET /v1/paths): the shortest path through invitations and circles, drawn as a chain.

import * as api from "../api.js";
import { guarded, h, svg } from "../dom.js";
import { count } from "../format.js";
import hierarchy from "../../vendor/d3-hierarchy/hierarchy/index.js";
import tree from "../../vendor/d3-hierarchy/tree.js";

const DEPTH = 2;
const CHILDREN = 4;
// The first view: at most this wide (chart units), centred on her; the rest is a drag away.
const FIRST_VIEW_WIDTH = 1800;
const UPLINE_SHOWN = 3;
const UPLINE_LIMIT = 1000; // the API's most; the fold says how many are above
const NODE_W = 132;
const NODE_H = 40;
const GAP_Y = 84;
const TIER_FILLS = ["#fff6cc", "#e3f0fb", "#ddf5ea", "#fde7df", "#ece8fb", "#ece8fb"];

export function render(section, { param, context }) {
  section.append(h("h2", {}, "Chart"));
  if (!param) {
    section.append(h("p", { class: "notice" }, "Open a member's chart from her card or her tree."));
    return;
  }
  const body = h("div", { class: "chart", testid: "chart" });
  section.append(
    h(
      "p",
      { class: "hint" },
      "Wheel to zoom, drag to move, click a member to centre the chart on her. ",
      h("a", { href: `#/tree/${encodeURIComponent(param)}` }, "Her tree as a list"),
    ),
    body,
    connection(param, context),
  );
  draw(body, param, context);
}

// "How is she connected to …": a member id in, the shortest path out, drawn left to right.
function connection(memberId, context) {
  const other = h("input", { type: "text", name: "to", placeholder: "another member's id", testid: "path-to", required: true });
  const drawn = h("div", { class: "chart-path", testid: "chart-path" });
  const form = h(
    "form",
    { class: "inline-form", testid: "path-form" },
    h("label", {}, `How is ${memberId} connected to `, other),
    h("button", { type: "submit", testid: "path-submit" }, "Show the path"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const found = await guarded(drawn, () => api.get("/v1/paths", { from: memberId, to: other.value.trim() }));
    if (found) drawn.replaceChildren(pathDrawing(found, (context.tier_ladder ?? []).map((step) => step.tier)));
  });
  return h("section", { class: "connection" }, h("h3", {}, "Connection"), form, drawn);
}

function pathDrawing(found, ladder) {
  const step = NODE_W + 48;
  const width = step * found.nodes.length;
  const canvas = svg("svg", {
    class: "chart-canvas path",
    testid: "path-canvas",
    viewBox: `${-step / 2} ${-NODE_H} ${width} ${NODE_H * 2}`,
    role: "img",
    "aria-label": `path from ${found.from} to ${found.to}, ${found.length} steps`,
  });
  const links = svg("g", { class: "links" });
  for (let index = 1; index < found.nodes.length; index += 1) {
    links.append(svg("path", { d: `M${step * (index - 1) + NODE_W / 2},0H${step * index - NODE_W / 2}` }));
  }
  canvas.append(links);
  found.nodes.forEach((node, index) => {
    if (node.kind === "circle") {
      canvas.append(
        svg(
          "g",
          { class: "chart-node circle", testid: "path-circle", transform: `translate(${step * index},0)`, dataset: { groupId: node.id } },
          svg("ellipse", { rx: NODE_W / 2, ry: NODE_H / 2 }),
          svg("text", { "text-anchor": "middle", dy: "0.35em" }, clip(node.name ?? node.id)),
          svg("title", {}, `circle ${node.id}`),
        ),
      );
    } else {
      const drawnNode = memberNode({ data: { id: node.id, name: node.name }, x: step * index, y: 0 }, ladder, false);
      drawnNode.dataset.testid = "path-member";
      canvas.append(drawnNode);
    }
  });
  return h("div", {}, h("p", { class: "hint", testid: "path-length" }, `${found.length} steps`), canvas);
}

async function draw(body, memberId, context) {
  const answers = await guarded(body, () =>
    Promise.all([
      api.get(api.memberPath(memberId, "/tree"), { depth: DEPTH, children_limit: CHILDREN }),
      api.get(api.memberPath(memberId, "/upline"), { limit: UPLINE_LIMIT }),
    ]),
  );
  if (!answers) return;
  const [root, upline] = answers;
  const ladder = (context.tier_ladder ?? []).map((step) => step.tier);
  const layout = tree().nodeSize([NODE_W + 16, GAP_Y])(hierarchy(withMoreNodes(root), (node) => node.children));
  const nodes = layout.descendants();
  const chain = uplineNodes(upline.path);
  const xs = nodes.map((node) => node.x);
  const minX = Math.min(...xs) - NODE_W;
  const maxX = Math.max(...xs) + NODE_W;
  const top = -GAP_Y * chain.length - NODE_H;
  const bottom = Math.max(...nodes.map((node) => node.y)) + NODE_H * 2;
  const width = Math.min(maxX - minX, FIRST_VIEW_WIDTH);
  const view = { x: -width / 2, y: top, w: width, h: Math.max(bottom - top, width * 0.42) };
  const canvas = svg("svg", {
    class: "chart-canvas",
    testid: "chart-canvas",
    viewBox: viewBox(view),
    role: "img",
    "aria-label": `genealogy chart of ${root.id}`,
  });
  const links = svg("g", { class: "links" });
  for (const link of layout.links()) {
    links.append(svg("path", { d: elbow(link.source, link.target) }));
  }
  chain.forEach((_, index) => {
    const y = -GAP_Y * (index + 1);
    links.append(svg("path", { d: `M0,${y + NODE_H / 2}V${y + GAP_Y - NODE_H / 2}` }));
  });
  canvas.append(links);
  chain.forEach((item, index) => canvas.append(uplineNode(item, 0, -GAP_Y * (index + 1), ladder)));
  for (const node of nodes) canvas.append(memberNode(node, ladder, node.depth === 0));
  zoomAndPan(canvas, view);
  body.replaceChildren(canvas);
}

// Each node whose children the API cut carries a "+n more" child for the rest.
function withMoreNodes(node) {
  const children = (node.children ?? []).map(withMoreNodes);
  const hidden = node.direct_total - (node.children ?? []).length;
  if (hidden > 0 && node.children && node.children.length) children.push({ more: hidden, parent: node.id });
  return { ...node, children };
}

// The upline nearest first; past UPLINE_SHOWN the rest fold into one "… n more" node.
function uplineNodes(path) {
  if (path.length <= UPLINE_SHOWN + 1) return path.map((id) => ({ id }));
  const folded = path.slice(UPLINE_SHOWN);
  return [...path.slice(0, UPLINE_SHOWN).map((id) => ({ id })), { folded }];
}

function uplineNode(item, x, y, ladder) {
  if (item.folded) {
    const group = svg(
      "g",
      { class: "chart-node folded", testid: "chart-folded", transform: `translate(${x},${y})` },
      svg("rect", { x: -NODE_W / 2, y: -NODE_H / 2, width: NODE_W, height: NODE_H, rx: 6 }),
      svg("text", { "text-anchor": "middle", dy: "0.35em" }, `… ${count(item.folded.length)} more`),
    );
    group.append(svg("title", {}, `up to the root: ${item.folded.join(" ← ")}`));
    return group;
  }
  return memberNode({ data: { id: item.id, upline: true }, x, y }, ladder, false);
}

function memberNode(node, ladder, isRoot) {
  const data = node.data;
  if (data.more !== undefined) {
    return svg(
      "g",
      { class: "chart-node more", testid: "chart-more", transform: `translate(${node.x},${node.y})` },
      svg("rect", { x: -NODE_W / 2, y: -NODE_H / 2, width: NODE_W, height: NODE_H, rx: 6 }),
      svg("text", { "text-anchor": "middle", dy: "0.35em" }, `+${count(data.more)} more`),
    );
  }
  const fill = data.tier === undefined ? "#f4f4f4" : TIER_FILLS[Math.min(Math.max(ladder.indexOf(data.tier), 0), 5)];
  const label = data.name ?? data.id;
  const group = svg(
    "g",
    {
      class: `chart-node member${data.paid ? " paid" : ""}${isRoot ? " root" : ""}`,
      testid: isRoot ? "chart-root" : data.upline ? "chart-upline" : "chart-member",
      transform: `translate(${node.x},${node.y})`,
      dataset: { memberId: data.id },
      tabindex: "0",
    },
    svg("rect", { x: -NODE_W / 2, y: -NODE_H / 2, width: NODE_W, height: NODE_H, rx: 6, fill }),
    svg("text", { "text-anchor": "middle", dy: data.tier ? "-0.15em" : "0.35em" }, clip(label)),
    data.tier ? svg("text", { class: "sub", "text-anchor": "middle", dy: "1.1em" }, `${data.tier} · ${count(data.downline_total)}`) : null,
  );
  group.append(svg("title", {}, `${data.id}${data.tier ? ` (${data.tier}${data.paid ? ", paid" : ""})` : ""}`));
  const open = () => {
    window.location.hash = `#/chart/${encodeURIComponent(data.id)}`;
  };
  group.addEventListener("click", open);
  group.addEventListener("keydown", (event) => {
    if (event.key === "Enter") open();
  });
  return group;
}

function clip(text) {
  return text.length > 16 ? `${text.slice(0, 15)}…` : text;
}

function elbow(source, target) {
  const middle = (source.y + target.y) / 2;
  return `M${source.x},${source.y + NODE_H / 2}V${middle}H${target.x}V${target.y - NODE_H / 2}`;
}

function viewBox(view) {
  return `${view.x} ${view.y} ${view.w} ${view.h}`;
}

// The wheel scales the view box about the pointer; a drag moves it.
function zoomAndPan(canvas, view) {
  canvas.addEventListener(
    "wheel",
    (event) => {
      event.preventDefault();
      const box = canvas.getBoundingClientRect();
      const factor = event.deltaY > 0 ? 1.15 : 1 / 1.15;
      const px = view.x + ((event.clientX - box.left) / box.width) * view.w;
      const py = view.y + ((event.clientY - box.top) / box.height) * view.h;
      view.x = px - (px - view.x) * factor;
      view.y = py - (py - view.y) * factor;
      view.w *= factor;
      view.h *= factor;
      canvas.setAttribute("viewBox", viewBox(view));
    },
    { passive: false },
  );
  let dragging = null;
  canvas.addEventListener("pointerdown", (event) => {
    dragging = { x: event.clientX, y: event.clientY };
  });
  window.addEventListener("pointerup", () => {
    dragging = null;
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!dragging) return;
    const box = canvas.getBoundingClientRect();
    view.x -= ((event.clientX - dragging.x) / box.width) * view.w;
    view.y -= ((event.clientY - dragging.y) / box.height) * view.h;
    dragging = { x: event.clientX, y: event.clientY };
    canvas.setAttribute("viewBox", viewBox(view));
  });
}

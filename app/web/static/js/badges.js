// Tier badges and the paid marker, shared by the views. A badge's colour is its position
// on the ladder in force (tier names are configuration, so no name is hard-coded here).

import { h } from "./dom.js";

export function tierBadge(tier, context) {
  const names = (context?.tier_ladder ?? []).map((step) => step.tier);
  const position = names.indexOf(tier);
  const level = position < 0 ? "unknown" : String(Math.min(position, 5));
  return h("span", { class: `badge tier-${level}`, title: `tier ${tier}`, testid: "tier-badge" }, tier);
}

export function paidMarker(paid) {
  return paid ? h("span", { class: "paid", title: "paid member", testid: "paid-marker" }, "paid") : null;
}

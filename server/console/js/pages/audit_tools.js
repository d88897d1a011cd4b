// The audit page's tools: filter chips, the hash chain badge and the exports.

import * as api from "../api.js";
import { field, h, replace } from "../dom.js";
import { t } from "../i18n.js";
import { go } from "../router.js";
import { select } from "../ui.js";
import { FAILED, attempt } from "../view.js";

export const FILTERS = ["action", "target_kind", "actor_id"];

export function matches(filters, entry) {
  return (!filters.action || entry.action === filters.action)
    && (!filters.target_kind || entry.target?.kind === filters.target_kind)
    && (!filters.actor_id || entry.actor?.id === filters.actor_id);
}

// One chip per filter (action, target kind, actor); adding one of a kind replaces it.
export function chips(filters) {
  const kind = select("kind", FILTERS.map((name) => [name, t(`audit.filter.${name}`)]), "action");
  const value = h("input", { name: "value", placeholder: "user.block", autocomplete: "off" });
  kind.addEventListener("change", () => {
    value.placeholder = { action: "user.block", target_kind: "user", actor_id: "" }[kind.value];
  });
  const form = h("form", { class: "filters", "aria-label": t("audit.filters") },
    field(t("audit.filter.kind"), kind), field(t("audit.filter.value"), value),
    h("button", { type: "submit" }, t("audit.filter.add")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (value.value.trim()) go("/audit", { ...filters, [kind.value]: value.value.trim() });
  });
  const active = FILTERS.filter((name) => filters[name]).map((name) => {
    const label = `${t(`audit.filter.${name}`)}: ${filters[name]}`;
    return h("li", null, h("button", {
      type: "button", class: "chip", "aria-label": t("audit.filter.remove", { label }),
      onclick: () => go("/audit", { ...filters, [name]: "" }),
    }, label, h("span", { "aria-hidden": "true" }, " ×")));
  });
  return h("div", { class: "chips-box" }, form,
    active.length ? h("ul", { class: "chips", "aria-label": t("audit.filters_active") }, active)
      : null);
}

// The chain badge: "intact" or "broken at seq N", from GET /admin/audit/verify.
export function chainBadge(view, box) {
  const badge = h("span", { class: "badge badge-pending", role: "status" }, t("chain.checking"));
  const why = h("span", { class: "hint" });
  const button = h("button", { type: "button", class: "secondary" }, t("chain.verify"));
  async function verify() {
    const result = await attempt(box, button, () => api.get("/audit/verify"));
    if (result === FAILED || view.left) return;
    badge.className = `badge ${result.ok ? "badge-ok" : "badge-broken"}`;
    replace(badge, result.ok ? t("chain.intact", { n: result.checked })
      : t("chain.broken", { seq: result.first_broken_seq }));
    replace(why, result.ok ? "" : t(`chain.reason.${result.reason}`));
  }
  button.addEventListener("click", verify);
  view.every(30_000, verify);
  verify();
  return h("div", { class: "chain" }, h("span", null, t("chain.label")), badge, why, button);
}

async function download(filters, format, box, button) {
  const response = await attempt(box, button, () =>
    api.call("GET", "/audit/export", { params: { ...filters, format }, raw: true }));
  if (response === FAILED) return;
  const url = URL.createObjectURL(await response.blob());
  const a = h("a", { href: url, download: `audit.${format}` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function exports(filters, box) {
  return h("div", { class: "exports" }, ["csv", "jsonl"].map((format) => {
    const button = h("button", { type: "button", class: "secondary" },
      t(`audit.export_${format}`));
    button.addEventListener("click", () => download(filters, format, box, button));
    return button;
  }));
}

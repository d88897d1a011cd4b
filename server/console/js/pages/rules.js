// Rules: every platform rule with its current version, when it takes effect, whom it applies
// to and how many users accepted each version.

import * as api from "../api.js";
import { h, heading, scrollBox, table } from "../dom.js";
import { formatDate, t } from "../i18n.js";
import { link } from "../ui.js";
import { FAILED, attempt, errorBox } from "../view.js";

export function acceptanceText(acceptances) {
  const pairs = Object.entries(acceptances || {});
  if (!pairs.length) return t("rules.no_acceptances");
  return pairs.map(([version, n]) => t("rules.acceptance", { version, n })).join(", ");
}

function row(rule) {
  return h("tr", null,
    h("td", null, link(`/rules/${rule.id}`, rule.title)),
    h("td", null, rule.version),
    h("td", null, formatDate(rule.effective_from)),
    h("td", null, rule.in_force ? t("common.yes") : t("common.no")),
    h("td", null, t(`applies.${rule.conditions.applies_to}`)),
    h("td", null, acceptanceText(rule.acceptances)));
}

export async function render(view) {
  const box = errorBox();
  const body = h("div");
  view.root.append(heading(t("rules.title")),
    h("p", null, h("a", { href: "#/rules/new", class: "button" }, t("rules.new"))), box, body);
  const found = await attempt(box, null, () => api.get("/rules"));
  if (found === FAILED) return;
  if (!found.items.length) {
    body.append(h("p", { class: "empty" }, t("rules.none")));
    return;
  }
  const headers = ["title", "version", "effective", "in_force", "applies", "acceptances"]
    .map((c) => t(`rules.col.${c}`));
  body.append(scrollBox(t("rules.caption"),
    table(t("rules.caption"), headers, found.items.map(row))));
}

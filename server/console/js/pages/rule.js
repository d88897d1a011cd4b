// A rule: the editor (a new rule, or a new version of this one, with the date it takes
// effect), withdrawing it, and its versions side by side.

import * as api from "../api.js";
import { field, h, heading } from "../dom.js";
import { t } from "../i18n.js";
import { go } from "../router.js";
import { definitions, link, select, toInstant, toLocalInput } from "../ui.js";
import { FAILED, attempt, errorBox } from "../view.js";
import { acceptanceText } from "./rules.js";
import { versionsSection } from "./rule_versions.js";

const AUDIENCES = ["all", "students", "teachers"];

function editor(rule, onSaved) {
  const title = h("input", { name: "title", maxlength: "200", required: true, value: rule?.title ?? "" });
  const text = h("textarea", { name: "description", rows: "8", required: true });
  text.value = rule?.description ?? "";
  const effective = h("input", {
    type: "datetime-local", name: "effective_from", required: true,
    value: toLocalInput(rule?.effective_from),
  });
  const applies = select("applies_to", AUDIENCES.map((a) => [a, t(`applies.${a}`)]),
    rule?.conditions.applies_to ?? "all");
  const box = errorBox();
  const button = h("button", { type: "submit" }, rule ? t("rule.save_version") : t("rule.publish"));
  const form = h("form", { class: "card stack", "aria-label": t("rule.editor") },
    field(t("rule.title_field"), title), field(t("rule.text"), text),
    field(t("rule.effective"), effective, t("rule.effective_hint")),
    field(t("rule.applies"), applies), box, button);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const missing = [title, text, effective].find((input) => !input.value.trim());
    if (missing) {
      box.show({ code: "rule_incomplete" });
      missing.focus();
      return;
    }
    const body = {
      title: title.value.trim(), description: text.value.trim(),
      effective_from: toInstant(effective.value), conditions: { applies_to: applies.value },
    };
    const saved = await attempt(box, button, () =>
      (rule ? api.patch(`/rules/${rule.id}`, body) : api.post("/rules", body)));
    if (saved !== FAILED) onSaved(saved);
  });
  return form;
}

export async function renderNew(view) {
  view.root.append(h("p", null, link("/rules", t("rules.back"))), heading(t("rules.new")),
    editor(null, (saved) => go(`/rules/${saved.id}`)));
}

function withdraw(rule, box) {
  const button = h("button", { type: "button", class: "danger" }, t("rule.delete"));
  button.addEventListener("click", async () => {
    if (!window.confirm(t("rule.delete_confirm", { title: rule.title }))) return;
    const done = await attempt(box, button, () => api.del(`/rules/${rule.id}`));
    if (done !== FAILED) go("/rules");
  });
  return button;
}

export async function render(view, [ruleId]) {
  const box = errorBox();
  view.root.append(h("p", null, link("/rules", t("rules.back"))), box);
  const [rule, versions] = await Promise.all([
    attempt(box, null, () => api.get(`/rules/${ruleId}`)),
    attempt(box, null, () => api.get(`/rules/${ruleId}/versions`)),
  ]);
  if (rule === FAILED || versions === FAILED || view.left) {
    view.root.prepend(heading(t("rule.title")));
    return;
  }
  const counts = Object.fromEntries(versions.items.map((v) => [v.version, v.acceptances]));
  view.root.append(heading(rule.title),
    definitions([[t("rules.col.version"), rule.version],
      [t("rules.col.in_force"), rule.in_force ? t("common.yes") : t("common.no")],
      [t("rules.col.acceptances"), acceptanceText(counts)]]),
    h("h2", null, t("rule.new_version")),
    editor(rule, () => go(`/rules/${rule.id}`)),
    versionsSection(versions.items),
    h("p", null, withdraw(rule, box)));
}

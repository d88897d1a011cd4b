// What an admin does to a user: block (with a reason and an optional end), unblock, and the
// permission switches, each effective at the user's next request.

import * as api from "../api.js";
import { field, h } from "../dom.js";
import { formatDate, t } from "../i18n.js";
import { definitions, toInstant } from "../ui.js";
import { FAILED, attempt, errorBox } from "../view.js";

const PERMISSIONS = ["can_create_courses", "can_enroll", "can_post_forum"];

async function afterChange(reload) {
  await reload();
  document.getElementById("block-title")?.focus();
}

function blockForm(user, reload, box) {
  const reason = h("textarea", { name: "reason", rows: "3", maxlength: "500", required: true });
  const until = h("input", { type: "datetime-local", name: "until" });
  const button = h("button", { type: "submit", class: "danger" }, t("block.submit"));
  const form = h("form", { class: "stack" }, field(t("block.reason"), reason),
    field(t("block.until"), until, t("block.until_hint")), box, button);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!reason.value.trim()) {
      box.show({ code: "reason_required" });
      reason.focus();
      return;
    }
    const body = { reason: reason.value.trim(), until: toInstant(until.value) };
    const done = await attempt(box, button, () => api.post(`/users/${user.id}/block`, body));
    if (done !== FAILED) await afterChange(reload);
  });
  return form;
}

function unblockForm(user, reload, box) {
  const { block } = user;
  const button = h("button", { type: "button" }, t("block.unblock"));
  button.addEventListener("click", async () => {
    const done = await attempt(box, button, () => api.post(`/users/${user.id}/unblock`));
    if (done !== FAILED) await afterChange(reload);
  });
  return h("div", { class: "stack" }, definitions([
    [t("block.reason"), block.reason],
    [t("block.until"), block.until ? formatDate(block.until) : t("block.indefinite")],
    [t("block.since"), formatDate(block.blocked_at)],
  ]), box, button);
}

export function blockSection(user, reload) {
  const box = errorBox();
  const blocked = user.status === "blocked" && user.block;
  return h("section", { class: "card", "aria-labelledby": "block-title" },
    h("h2", { id: "block-title", tabindex: "-1" }, blocked ? t("block.blocked") : t("block.title")),
    blocked ? unblockForm(user, reload, box) : blockForm(user, reload, box));
}

function permissionSwitch(user, name, box) {
  const input = h("input", { type: "checkbox", role: "switch", name, checked: user.permissions[name] });
  input.addEventListener("change", async () => {
    const wanted = input.checked;
    input.disabled = true;
    const saved = await attempt(box, null, () =>
      api.patch(`/users/${user.id}/permissions`, { [name]: wanted }));
    input.disabled = false;
    input.checked = saved === FAILED ? !wanted : saved[name];
  });
  const id = `perm-${name}`;
  input.id = id;
  return h("div", { class: "switch" }, input, h("label", { for: id }, t(`permission.${name}`)));
}

export function permissionsSection(user) {
  const box = errorBox();
  return h("section", { class: "card", "aria-labelledby": "perm-title" },
    h("h2", { id: "perm-title" }, t("permission.title")),
    h("div", { class: "switches" }, PERMISSIONS.map((name) => permissionSwitch(user, name, box))),
    box);
}

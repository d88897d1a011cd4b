// One user: profile, block or unblock, permissions, courses, recent deliveries and the audit
// entries about them. Reading this page is itself audited (`user.view`).

import * as api from "../api.js";
import { h, heading, scrollBox, table } from "../dom.js";
import { formatDate, t } from "../i18n.js";
import { badge, definitions, link } from "../ui.js";
import { FAILED, attempt, errorBox } from "../view.js";
import { blockSection, permissionsSection } from "./user_actions.js";

function profile(user) {
  const { owned, teaching, enrolled } = user.courses;
  return definitions([
    [t("users.col.email"), user.email],
    [t("users.col.status"), badge(user.status)],
    [t("user.verified"), user.email_verified ? t("common.yes") : t("common.no")],
    [t("users.col.registered"), formatDate(user.registered_at)],
    [t("users.col.last_login"), formatDate(user.last_login_at)],
    [t("users.col.courses"), t("users.course_counts", { owned, teaching, enrolled })],
  ]);
}

function section(title, content) {
  return h("section", { "aria-label": title }, h("h2", null, title), content);
}

function list(caption, headers, rows, empty) {
  if (!rows.length) return h("p", { class: "empty" }, empty);
  return scrollBox(caption, table(caption, headers, rows));
}

function courses(user) {
  return list(t("user.courses"), [t("user.course"), t("user.role"), t("users.col.status")],
    user.course_list.map((c) => h("tr", null, h("td", null, c.title),
      h("td", null, t(`role.${c.role}`)), h("td", null, c.status))), t("user.no_courses"));
}

function deliveries(user) {
  return list(t("user.deliveries"),
    ["created", "channel", "type", "status", "last_error"].map((c) => t(`deliveries.col.${c}`)),
    user.recent_deliveries.map((d) => h("tr", null, h("td", null, formatDate(d.created_at)),
      h("td", null, t(`channel.${d.channel}`)), h("td", null, d.type), h("td", null, badge(d.status)),
      h("td", null, d.last_error ?? d.reason ?? "—"))), t("deliveries.none"));
}

function audit(user) {
  return list(t("user.audit"), ["seq", "at", "action", "actor"].map((c) => t(`audit.col.${c}`)),
    user.recent_audit.map((e) => h("tr", null, h("td", null, e.seq),
      h("td", null, formatDate(e.at)), h("td", null, h("code", null, e.action)),
      h("td", null, `${e.actor?.kind ?? ""} ${e.actor?.id ?? ""}`))), t("audit.none"));
}

export async function render(view, [userId]) {
  const box = errorBox();
  const body = h("div");
  view.root.append(h("p", null, link("/users", t("user.back"))), box, body);
  async function load() {
    const user = await attempt(box, null, () => api.get(`/users/${userId}`));
    if (user === FAILED || view.left) return;
    body.replaceChildren(heading(user.name), profile(user),
      blockSection(user, load), permissionsSection(user),
      section(t("user.courses"), courses(user)),
      section(t("user.deliveries"), [deliveries(user),
        h("p", null, link(`/deliveries?user_id=${user.id}`, t("user.all_deliveries")))]),
      section(t("user.audit"), audit(user)));
  }
  await load();
  if (!body.firstChild) body.append(heading(t("user.title")));
}

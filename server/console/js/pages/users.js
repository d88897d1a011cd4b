// Users: search by name or email, filter by status and sign-up dates; each row opens the
// user's page. The filters live in the address, so back and reload keep them.

import * as api from "../api.js";
import { field, h, heading } from "../dom.js";
import { formatDate, t } from "../i18n.js";
import { go } from "../router.js";
import { badge, link, pagedTable, select } from "../ui.js";
import { errorBox } from "../view.js";

const FILTERS = ["q", "status", "registered_from", "registered_to"];

function filterForm(params) {
  const q = h("input", { type: "search", name: "q", value: params.q ?? "" });
  const status = select("status", [["", t("common.any")], ["active", t("status.active")],
    ["blocked", t("status.blocked")]], params.status);
  const from = h("input", { type: "date", name: "registered_from", value: params.registered_from ?? "" });
  const to = h("input", { type: "date", name: "registered_to", value: params.registered_to ?? "" });
  const form = h("form", { class: "filters", role: "search", "aria-label": t("users.filters") },
    field(t("users.search"), q), field(t("users.status"), status),
    field(t("users.from"), from), field(t("users.to"), to),
    h("button", { type: "submit" }, t("common.search")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = new FormData(form);
    go("/users", Object.fromEntries(FILTERS.map((name) => [name, data.get(name)])));
  });
  return form;
}

function row(user) {
  const { owned, teaching, enrolled } = user.courses;
  return h("tr", null,
    h("td", null, link(`/users/${user.id}`, user.name)),
    h("td", null, user.email),
    h("td", null, badge(user.status)),
    h("td", null, formatDate(user.registered_at, false)),
    h("td", null, formatDate(user.last_login_at)),
    h("td", null, t("users.course_counts", { owned, teaching, enrolled })));
}

export async function render(view, _args, params) {
  const box = errorBox();
  const filters = Object.fromEntries(FILTERS.map((name) => [name, params[name]]));
  const list = pagedTable({
    caption: t("users.caption"),
    headers: ["name", "email", "status", "registered", "last_login", "courses"]
      .map((name) => t(`users.col.${name}`)),
    row,
    box,
    empty: t("users.none"),
    fetchPage: (cursor) => api.get("/users", { ...filters, cursor, limit: 25 }),
  });
  view.root.append(heading(t("users.title")), filterForm(params), box, list.element);
  await list.load();
}

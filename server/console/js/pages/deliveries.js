// Deliveries: the notification delivery log (email and push), filtered by channel, status or
// user, with the provider's last error for the ones that failed.

import * as api from "../api.js";
import { append, field, h, heading } from "../dom.js";
import { formatDate, t } from "../i18n.js";
import { go } from "../router.js";
import { badge, link, pagedTable, select } from "../ui.js";
import { errorBox } from "../view.js";

const CHANNELS = ["email", "push"];
const STATUSES = ["queued", "sending", "sent", "failed", "dead", "skipped"];

function filterForm(params) {
  const channel = select("channel", [["", t("common.any")],
    ...CHANNELS.map((c) => [c, t(`channel.${c}`)])], params.channel);
  const status = select("status", [["", t("common.any")],
    ...STATUSES.map((s) => [s, t(`status.${s}`)])], params.status);
  const form = h("form", { class: "filters", role: "search", "aria-label": t("deliveries.filters") },
    field(t("deliveries.col.channel"), channel), field(t("deliveries.col.status"), status),
    h("button", { type: "submit" }, t("common.filter")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    go("/deliveries", { user_id: params.user_id, channel: channel.value, status: status.value });
  });
  return form;
}

function row(d) {
  return h("tr", null,
    h("td", null, formatDate(d.created_at)),
    h("td", null, link(`/users/${d.user_id}`, d.email || String(d.user_id).slice(0, 8))),
    h("td", null, t(`channel.${d.channel}`)),
    h("td", null, h("code", null, d.type)),
    h("td", null, badge(d.status)),
    h("td", null, d.attempts ?? 0),
    h("td", { class: "error-text" }, d.last_error || (d.reason ? t("deliveries.reason", { reason: d.reason }) : "—")));
}

export async function render(view, _args, params) {
  const box = errorBox();
  const query = { user_id: params.user_id, channel: params.channel, status: params.status };
  const list = pagedTable({
    caption: t("deliveries.caption"),
    headers: ["created", "user", "channel", "type", "status", "attempts", "last_error"]
      .map((c) => t(`deliveries.col.${c}`)),
    row,
    box,
    empty: t("deliveries.none"),
    fetchPage: (cursor) => api.get("/deliveries", { ...query, cursor, limit: 50 }),
  });
  append(view.root, [heading(t("deliveries.title")),
    params.user_id ? h("p", null, t("deliveries.for_user"), " ",
      link(`/users/${params.user_id}`, String(params.user_id).slice(0, 8)), " · ",
      link("/deliveries", t("deliveries.everyone"))) : null,
    filterForm(params), box, list.element]);
  await list.load();
}

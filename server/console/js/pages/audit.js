// Audit: the newest entries, then a live tail through the /admin socket (paused on request,
// resumed without losing what arrived meanwhile), narrowed by the filter chips.

import * as api from "../api.js";
import { h, heading, replace, scrollBox, table } from "../dom.js";
import * as feed from "../feed.js";
import { formatDate, t } from "../i18n.js";
import { link } from "../ui.js";
import { FAILED, attempt, errorBox } from "../view.js";
import { FILTERS, chainBadge, chips, exports, matches } from "./audit_tools.js";

const KEEP = 300; // rows kept on the page; older ones remain a page away ("older")

const short = (id) => (id ? String(id).slice(0, 8) : "—");

function who(ref) {
  if (!ref) return "—";
  const text = `${ref.kind} ${short(ref.id)}`;
  return ref.kind === "user" && ref.id ? link(`/users/${ref.id}`, text) : h("span", { title: ref.id }, text);
}

// Long changes (a new course's every field) fold behind their field names.
function changes(entry) {
  const fields = Object.entries(entry.changes || {});
  const text = fields.map(([name, [before, after]]) =>
    `${name}: ${JSON.stringify(before)} → ${JSON.stringify(after)}`).join("; ");
  if (text.length <= 120) return text;
  return h("details", null, h("summary", null, fields.map(([name]) => name).join(", ")), text);
}

function row(entry) {
  return h("tr", { "data-seq": entry.seq },
    h("td", null, entry.seq), h("td", null, formatDate(entry.at)),
    h("td", null, h("code", null, entry.action)), h("td", null, who(entry.actor)),
    h("td", null, who(entry.target)), h("td", { class: "changes" }, changes(entry)));
}

function tail(view, filters, body, box) {
  const seen = new Set();
  const pending = [];
  let paused = false;
  const status = h("span", { role: "status", class: "live-state" });
  const pause = h("button", { type: "button", "aria-pressed": "false" }, t("audit.pause"));
  // Newest first, whichever way an entry came (REST page or live): placed by its seq.
  const show = (entry) => {
    if (seen.has(entry.seq)) return;
    seen.add(entry.seq);
    const after = [...body.rows].find((tr) => Number(tr.dataset.seq) < entry.seq);
    body.insertBefore(row(entry), after ?? null);
    while (body.rows.length > KEEP) body.lastElementChild.remove();
  };
  const describe = () => replace(status, paused
    ? t("audit.paused", { n: pending.length }) : t(`feed.${feed.connectionState()}`));
  pause.addEventListener("click", () => {
    paused = !paused;
    pause.setAttribute("aria-pressed", String(paused));
    replace(pause, paused ? t("audit.resume") : t("audit.pause"));
    if (!paused) for (const entry of pending.splice(0)) show(entry);
    describe();
  });
  view.onLeave(feed.onEntry((entry) => {
    if (!matches(filters, entry)) return;
    if (paused) pending.push(entry);
    else show(entry);
    describe();
  }));
  view.onLeave(feed.onState(describe));
  describe();
  return { show, controls: h("div", { class: "live" }, status, pause) };
}

export async function render(view, _args, params) {
  const filters = Object.fromEntries(FILTERS.filter((n) => params[n]).map((n) => [n, params[n]]));
  feed.narrow({ actions: filters.action ? [filters.action] : [], target_kind: filters.target_kind });
  view.onLeave(() => feed.narrow({}));
  const box = errorBox();
  const body = h("tbody");
  const live = tail(view, filters, body, box);
  const headers = ["seq", "at", "action", "actor", "target", "changes"].map((c) => t(`audit.col.${c}`));
  const grid = table(t("audit.caption"), headers, []);
  grid.querySelector("tbody").replaceWith(body);
  const older = h("button", { type: "button", class: "secondary", hidden: true }, t("audit.older"));
  view.root.append(heading(t("audit.title")), chainBadge(view, box),
    h("div", { class: "toolbar" }, live.controls, exports(filters, box)),
    chips(filters), box, scrollBox(t("audit.caption"), grid), older);
  let cursor = null;
  async function loadOlder() {
    const page = await attempt(box, older, () => api.get("/audit", { ...filters, cursor, limit: 50 }));
    if (page === FAILED) return;
    for (const entry of page.items) live.show(entry);
    cursor = page.next_cursor;
    older.hidden = !cursor;
  }
  older.addEventListener("click", loadOlder);
  await feed.whenLive(); // entries after this arrive live; the ones before, from REST
  if (!view.left) await loadOlder();
}

// Health: the /admin/metrics figures (every process together), read again every few seconds
// while the page is open.

import * as api from "../api.js";
import { h, heading, replace, scrollBox, table } from "../dom.js";
import { formatDate, formatNumber, formatTime, t } from "../i18n.js";
import { FAILED, attempt, errorBox } from "../view.js";

const REFRESH_MS = 5000;

function tile(label, value, unit = "") {
  return h("div", { class: "tile" }, h("dt", null, label), h("dd", null, value, unit ? ` ${unit}` : ""));
}

function tiles(m) {
  return h("dl", { class: "tiles" },
    tile(t("health.sockets"), formatNumber(m.live_sockets)),
    tile(t("health.rpm"), formatNumber(m.requests_per_minute)),
    tile(t("health.p95"), formatNumber(m.p95_latency_ms, 1), "ms"),
    tile(t("health.sent"), formatNumber(m.deliveries_last_hour.sent)),
    tile(t("health.failed"), formatNumber(m.deliveries_last_hour.failed)),
    tile(t("health.outbox"), formatNumber(m.outbox.pending)),
    tile(t("health.outbox_age"), formatNumber(m.outbox.oldest_age_seconds, 1), "s"),
    tile(t("health.lag"), formatNumber(m.event_log_lag_seconds, 2), "s"));
}

function consumers(m) {
  const rows = Object.entries(m.consumers).map(([name, c]) =>
    h("tr", null, h("td", null, name), h("td", null, formatNumber(c.behind))));
  return scrollBox(t("health.consumers"), table(t("health.consumers"),
    [t("health.consumer"), t("health.behind")], rows));
}

function processes(m) {
  const rows = m.processes.map((p) => h("tr", null, h("td", null, `${p.host}:${p.pid}`),
    h("td", null, formatNumber(p.sockets)), h("td", null, formatNumber(p.requests_per_minute)),
    h("td", null, formatNumber(p.p95_latency_ms, 1)), h("td", null, formatNumber(p.cpu_percent, 1)),
    h("td", null, formatNumber(p.rss_bytes / 2 ** 20, 1)), h("td", null, formatDate(p.at))));
  const headers = ["process", "sockets", "rpm", "p95", "cpu", "rss", "sampled"]
    .map((c) => t(`health.col.${c}`));
  return scrollBox(t("health.processes"), table(t("health.processes"), headers, rows));
}

export async function render(view) {
  const box = errorBox();
  const stamp = h("p", { class: "hint" });
  const body = h("div");
  view.root.append(heading(t("health.title")), stamp, box, body);
  async function load() {
    const m = await attempt(box, null, () => api.get("/metrics"));
    if (m === FAILED || view.left) return;
    replace(body, tiles(m), h("h2", null, t("health.consumers")), consumers(m),
      h("h2", null, t("health.processes")), processes(m));
    replace(stamp, t("health.updated", { at: formatTime(new Date()) }), " · ",
      t("health.every", { s: REFRESH_MS / 1000 }));
  }
  view.every(REFRESH_MS, load);
  await load();
}

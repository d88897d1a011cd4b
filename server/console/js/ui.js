// Small pieces several pages share: status badges, select boxes, a paged table, and the
// conversion between <input type="datetime-local"> (local time) and the API's instants.

import { h, replace, scrollBox, table } from "./dom.js";
import { t } from "./i18n.js";
import { FAILED, attempt } from "./view.js";

export function badge(status) {
  return h("span", { class: `badge badge-${status}` }, t(`status.${status}`));
}

// options: [[value, label], ...]
export function select(name, options, chosen) {
  return h("select", { name }, options.map(([value, label]) =>
    h("option", { value, selected: value === (chosen ?? "") }, label)));
}

// A table filled page by page from a keyset-paged list route (`{items, next_cursor}`).
export function pagedTable({ caption, headers, row, fetchPage, box, empty }) {
  const body = h("tbody");
  const more = h("button", { type: "button", class: "secondary", hidden: true }, t("common.more"));
  const count = h("span");
  const grid = table(caption, headers, []);
  grid.querySelector("tbody").replaceWith(body);
  grid.querySelector("caption").append(" ", count);
  let cursor = null;
  let shown = 0;
  async function load() {
    const page = await attempt(box, more, () => fetchPage(cursor));
    if (page === FAILED) return;
    for (const item of page.items) body.append(row(item));
    shown += page.items.length;
    replace(count, t("common.count", { n: shown }));
    cursor = page.next_cursor;
    more.hidden = !cursor;
    if (!shown) body.append(h("tr", null, h("td", { colspan: headers.length }, empty)));
  }
  more.addEventListener("click", load);
  const element = h("div", null, scrollBox(caption, grid), more);
  return { element, load };
}

export function toInstant(localValue) {
  return localValue ? new Date(localValue).toISOString() : null;
}

export function toLocalInput(instant) {
  if (!instant) return "";
  const d = new Date(instant);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${
    pad(d.getMinutes())}`;
}

export function link(path, text) {
  return h("a", { href: `#${path}` }, text);
}

export function definitions(pairs) {
  return h("dl", { class: "facts" }, pairs.map(([term, value]) =>
    [h("dt", null, term), h("dd", null, value)]));
}

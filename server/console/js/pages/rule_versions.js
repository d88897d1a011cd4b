// A rule's versions: the list with acceptance counts, and any two side by side with what
// changed marked (removed words struck through on the left, added ones on the right).

import { diff } from "../diff.js";
import { field, h, replace, scrollBox, table } from "../dom.js";
import { formatDate, t } from "../i18n.js";
import { select } from "../ui.js";

function fieldsOf(version) {
  return [
    ["rule.title_field", version.title],
    ["rule.text", version.description],
    ["rule.effective", formatDate(version.effective_from)],
    ["rule.applies", t(`applies.${version.conditions.applies_to}`)],
  ];
}

function marked(parts, keep) {
  return parts.filter(([op]) => op === "same" || op === keep).map(([op, text]) => {
    if (op === "same") return text;
    return op === "del" ? h("del", null, text) : h("ins", null, text);
  });
}

function compare(left, right) {
  const rows = fieldsOf(left).map(([key, before], index) => {
    const after = fieldsOf(right)[index][1];
    const parts = diff(before, after);
    const changed = before !== after;
    return h("div", { class: `pair${changed ? " changed" : ""}` },
      h("h4", null, t(key), changed ? ` (${t("versions.changed")})` : ""),
      h("div", { class: "side" }, h("span", { class: "side-label" },
        t("versions.version", { n: left.version })), marked(parts, "del")),
      h("div", { class: "side" }, h("span", { class: "side-label" },
        t("versions.version", { n: right.version })), marked(parts, "ins")));
  });
  return h("div", { class: "compare" },
    h("div", { class: "pair heads", "aria-hidden": "true" }, h("span"),
      h("span", null, t("versions.version", { n: left.version })),
      h("span", null, t("versions.version", { n: right.version }))),
    h("p", { class: "visually-hidden" },
      t("versions.reading", { a: left.version, b: right.version })),
    rows);
}

function listOf(versions) {
  const headers = ["version", "effective", "applies", "created", "acceptances"]
    .map((c) => t(`versions.col.${c}`));
  return scrollBox(t("versions.caption"), table(t("versions.caption"), headers,
    versions.map((v) => h("tr", null, h("td", null, v.version),
      h("td", null, formatDate(v.effective_from)), h("td", null, t(`applies.${v.conditions.applies_to}`)),
      h("td", null, formatDate(v.created_at)), h("td", null, v.acceptances)))));
}

export function versionsSection(versions) {
  const byNumber = new Map(versions.map((v) => [String(v.version), v]));
  const numbers = [...byNumber.keys()].sort((a, b) => a - b);
  const options = numbers.map((n) => [n, t("versions.version", { n })]);
  const left = select("left", options, numbers[Math.max(0, numbers.length - 2)]);
  const right = select("right", options, numbers[numbers.length - 1]);
  const shown = h("div");
  const update = () => replace(shown, compare(byNumber.get(left.value), byNumber.get(right.value)));
  left.addEventListener("change", update);
  right.addEventListener("change", update);
  update();
  return h("section", { "aria-labelledby": "versions-title" },
    h("h2", { id: "versions-title" }, t("versions.title")), listOf(versions),
    h("h3", null, t("versions.compare")),
    h("div", { class: "filters" }, field(t("versions.left"), left), field(t("versions.right"), right)),
    shown);
}

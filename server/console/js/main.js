// The console's frame: the header (sections, language, sign out) and the view the address
// names. Without a session every address shows the sign-in page.

import { h, replace } from "./dom.js";
import * as feed from "./feed.js";
import { language, languages, onLanguage, setLanguage, t } from "./i18n.js";
import * as audit from "./pages/audit.js";
import * as deliveries from "./pages/deliveries.js";
import * as health from "./pages/health.js";
import * as rule from "./pages/rule.js";
import * as rules from "./pages/rules.js";
import * as signin from "./pages/signin.js";
import * as user from "./pages/user.js";
import * as users from "./pages/users.js";
import { go, match, parse } from "./router.js";
import * as session from "./session.js";
import { View } from "./view.js";

const ROUTES = [
  [/^\/users$/, users.render],
  [/^\/users\/([\w-]+)$/, user.render],
  [/^\/rules$/, rules.render],
  [/^\/rules\/new$/, rule.renderNew],
  [/^\/rules\/([\w-]+)$/, rule.render],
  [/^\/audit$/, audit.render],
  [/^\/deliveries$/, deliveries.render],
  [/^\/health$/, health.render],
];
const SECTIONS = ["users", "rules", "audit", "deliveries", "health"];
let view = null;
let endedCode = null;

function header(path) {
  const top = document.querySelector("header.top");
  top.hidden = false;
  const nav = document.getElementById("nav");
  nav.setAttribute("aria-label", t("nav.label"));
  replace(nav, h("ul", null, SECTIONS.map((name) => {
    const current = path === `/${name}` || path.startsWith(`/${name}/`);
    return h("li", null, h("a", { href: `#/${name}`, "aria-current": current ? "page" : null },
      t(`nav.${name}`)));
  })));
  const select = h("select", { id: "lang", onchange: (e) => setLanguage(e.target.value) },
    languages().map((code) => h("option", { value: code, selected: code === language() },
      t(`lang.${code}`))));
  replace(document.getElementById("tools"),
    h("label", { for: "lang", class: "visually-hidden" }, t("lang.label")), select,
    h("span", { class: "who" }, session.current()?.name ?? ""),
    h("button", { type: "button", onclick: () => session.signOut().catch(() => {}) },
      t("nav.sign_out")));
}

async function show() {
  view?.leave();
  const root = h("div");
  replace(document.getElementById("main"), root);
  const current = (view = new View(root)); // a later navigation leaves this one
  const { path, params } = parse();
  if (!session.accessToken() && session.canResume()) {
    await session.refresh().catch(() => {});
    if (current.left) return;
  }
  if (!session.accessToken()) {
    document.querySelector("header.top").hidden = true;
    feed.stop();
    signin.render(current, { message: endedCode, onSignedIn });
    return;
  }
  feed.start();
  header(path);
  const found = match(ROUTES, path);
  if (!found) {
    go("/users");
    return;
  }
  await found.page(current, found.args, params);
  if (!current.left) root.querySelector("h1")?.focus();
}

function onSignedIn() {
  endedCode = null;
  if (parse().path === "/") go("/users");
  else show();
}

session.onEnded((code) => {
  endedCode = code;
  show();
});
onLanguage(() => show());
window.addEventListener("hashchange", () => show());
show();

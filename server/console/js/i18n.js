// Spanish by default, English on request (kept in localStorage: a preference, not a secret).
// `t(key, vars)` fills `{name}` placeholders; API errors are told in words from their code.

import en from "./lang/en.js";
import es from "./lang/es.js";

const TABLES = { es, en };
const LANG_KEY = "classconnect.admin.lang";
let lang = TABLES[localStorage.getItem(LANG_KEY)] ? localStorage.getItem(LANG_KEY) : "es";
const listeners = new Set();

export const language = () => lang;
export const languages = () => Object.keys(TABLES);

export function setLanguage(next) {
  if (!TABLES[next] || next === lang) return;
  lang = next;
  localStorage.setItem(LANG_KEY, next);
  document.documentElement.lang = next;
  for (const listener of listeners) listener(next);
}

export function onLanguage(listener) {
  listeners.add(listener);
}

export function t(key, vars = {}) {
  const text = TABLES[lang][key] ?? TABLES.es[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? String(vars[name]) : `{${name}}`));
}

export const has = (key) => key in TABLES[lang];

// Never swallowed: a code we have no words for is still shown, with the server's message.
export function errorText(err) {
  const key = `error.${err.code}`;
  if (key in TABLES[lang]) return t(key);
  return t("error.unknown", { code: err.code || "?", message: err.message || "" });
}

export function formatDate(value, withTime = true) {
  if (!value) return "—";
  const options = withTime ? { dateStyle: "medium", timeStyle: "short" } : { dateStyle: "medium" };
  return new Intl.DateTimeFormat(lang, options).format(new Date(value));
}

export function formatTime(value) {
  return new Intl.DateTimeFormat(lang, { timeStyle: "medium" }).format(new Date(value));
}

export function formatNumber(value, digits = 0) {
  if (value === null || value === undefined) return "—";
  return new Intl.NumberFormat(lang, { maximumFractionDigits: digits }).format(value);
}

document.documentElement.lang = lang;

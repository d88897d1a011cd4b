// Hash routes (`#/users/ID?q=ana`): the server serves one page, and the address bar, the back
// button and bookmarks still name each view with its filters.

export function parse(hash = location.hash) {
  const [path, search = ""] = hash.replace(/^#/, "").split("?");
  return { path: path || "/", params: Object.fromEntries(new URLSearchParams(search)) };
}

export function href(path, params = {}) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") search.set(key, value);
  }
  const text = search.toString();
  return `#${path}${text ? `?${text}` : ""}`;
}

export function go(path, params) {
  const next = href(path, params);
  if (location.hash === next) window.dispatchEvent(new HashChangeEvent("hashchange"));
  else location.hash = next;
}

// `routes`: [[/^\/users\/([\w-]+)$/, page], ...]; the page gets the captured groups.
export function match(routes, path) {
  for (const [pattern, page] of routes) {
    const found = pattern.exec(path);
    if (found) return { page, args: found.slice(1) };
  }
  return null;
}

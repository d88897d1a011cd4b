// The admin's session. The access token lives only in this module's memory; the refresh
// token in sessionStorage, so a reload of the tab signs back in quietly, while closing the tab
// forgets it and no other tab or site can read it (docs/console.md says why).

import { ApiError, send } from "./http.js";

const REFRESH_KEY = "classconnect.admin.refresh";
let access = null;
let admin = null;
let refreshing = null;
const endedListeners = new Set();

export const current = () => admin;
export const accessToken = () => access;
export const canResume = () => sessionStorage.getItem(REFRESH_KEY) !== null;

function keep(session) {
  access = session.access_token;
  admin = session.admin;
  sessionStorage.setItem(REFRESH_KEY, session.refresh_token);
}

function forget() {
  access = null;
  admin = null;
  sessionStorage.removeItem(REFRESH_KEY);
}

export async function signIn(email, password) {
  keep(await send("POST", "/auth/login", { body: { email, password } }));
}

// One refresh at a time: the server rotates refresh tokens and treats a second use of a spent
// one as theft (it ends the session), so concurrent 401s must share one rotation.
export function refresh() {
  refreshing ??= rotate().finally(() => {
    refreshing = null;
  });
  return refreshing;
}

async function rotate() {
  const token = sessionStorage.getItem(REFRESH_KEY);
  if (!token) throw new ApiError(401, "signed_out", "");
  try {
    keep(await send("POST", "/auth/refresh", { body: { refresh_token: token } }));
  } catch (err) {
    if (err.status === 401) end(err.code);
    throw err;
  }
}

// The session is over (revoked, removed, signed out): forget it and tell the console, which
// shows the sign-in page with the reason in words.
export function end(code) {
  if (!access && !sessionStorage.getItem(REFRESH_KEY)) return;
  forget();
  for (const listener of endedListeners) listener(code);
}

export function onEnded(listener) {
  endedListeners.add(listener);
}

export async function signOut() {
  const token = sessionStorage.getItem(REFRESH_KEY);
  try {
    if (token) await send("POST", "/auth/logout", { body: { refresh_token: token } });
  } finally {
    end("signed_out");
  }
}

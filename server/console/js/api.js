// Authenticated calls. An expired access token is refreshed quietly and the call made again;
// a token the server no longer accepts ends the session (the sign-in page says why).

import { send } from "./http.js";
import * as session from "./session.js";

const SESSION_OVER = new Set(["token_revoked", "token_invalid", "token_missing", "admin_required"]);

export async function call(method, path, options = {}) {
  if (!session.accessToken()) await session.refresh();
  const used = session.accessToken();
  try {
    return await send(method, path, { ...options, token: used });
  } catch (err) {
    if (err.status === 401 && err.code === "token_expired") {
      if (session.accessToken() === used) await session.refresh(); // else renewed meanwhile
      return send(method, path, { ...options, token: session.accessToken() });
    }
    if (err.status === 401 && SESSION_OVER.has(err.code)) session.end(err.code);
    throw err;
  }
}

export const get = (path, params) => call("GET", path, { params });
export const post = (path, body) => call("POST", path, { body });
export const patch = (path, body) => call("PATCH", path, { body });
export const del = (path) => call("DELETE", path);

// The live audit feed: one socket on the /admin namespace while signed in. It remembers the
// last seq of the `admin:audit` stream and sends it as `resume` on every (re)connect, so the
// server replays whatever was missed while the connection was down: no gap, no duplicate.

import { io } from "../vendor/socket.io.esm.min.js";
import * as session from "./session.js";

const STREAM = "admin:audit";
const SESSION_OVER = new Set(["token_revoked", "token_invalid", "token_missing", "admin_required",
  "admin_removed", "account_blocked"]);
let socket = null;
let lastSeq = null;
let subscription = {};
const entryListeners = new Set();
const stateListeners = new Set();
let state = "offline";
let sentToken = null; // the access token the socket last connected with
let endedCode = null; // why the server is about to disconnect the socket (`session.ended`)
const RETRY_MS = 2000;

function setState(next) {
  state = next;
  for (const listener of stateListeners) listener(next);
}

export const connectionState = () => state;
export function onState(listener) {
  stateListeners.add(listener);
  return () => stateListeners.delete(listener);
}
// Resolves once the socket is live (or after `ms` regardless): a page that loads the newest
// entries over REST after this misses none that the feed will not bring.
export function whenLive(ms = 3000) {
  if (state === "live") return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    const off = onState((next) => next === "live" && done());
    function done() {
      clearTimeout(timer);
      off();
      resolve();
    }
  });
}

export function onEntry(listener) {
  entryListeners.add(listener);
  return () => entryListeners.delete(listener);
}

function auth(callback) {
  sentToken = session.accessToken();
  const payload = { token: sentToken };
  if (lastSeq !== null) payload.resume = { [STREAM]: lastSeq };
  callback(payload);
}

// The server refused the socket, or ended it (and then disconnected it, which Socket.IO does
// not undo on its own): a stale access token is refreshed and the socket connects again
// (resuming), with the token the API calls already renewed if there is one; a session that no
// longer counts ends; anything else (a server shutting down, a full socket cap) is retried.
async function renew(code) {
  if (SESSION_OVER.has(code)) {
    session.end(code);
    return;
  }
  if (code === "token_expired" && session.accessToken() === sentToken) {
    try {
      await session.refresh();
    } catch {
      return; // session.refresh() already ended the session when the server refused it
    }
  }
  setTimeout(() => socket?.connect(), code === "token_expired" ? 0 : RETRY_MS);
}

export function start() {
  if (socket) return;
  socket = io("/admin", { transports: ["websocket"], auth, reconnectionDelayMax: 5000 });
  socket.on("connect", () => {
    if (subscription.actions?.length || subscription.target_kind) {
      socket.emit("subscribe", subscription, () => {});
    }
  });
  socket.on("session.ready", (ready) => {
    if (lastSeq === null) lastSeq = ready.streams?.[STREAM] ?? 0;
    setState("live");
  });
  socket.on("audit.entry", (envelope) => {
    if (envelope.stream !== STREAM || (lastSeq !== null && envelope.seq <= lastSeq)) return;
    lastSeq = envelope.seq;
    for (const listener of entryListeners) listener(envelope.data);
  });
  socket.on("session.ended", (ended) => {
    endedCode = ended.code;
  });
  socket.on("disconnect", (reason) => {
    setState("reconnecting");
    if (reason === "io server disconnect") renew(endedCode); // else Socket.IO reconnects
    endedCode = null;
  });
  socket.on("connect_error", (err) => {
    setState("reconnecting");
    if (err.data?.code) renew(err.data.code); // refused by the server; else Socket.IO retries
  });
}

export function stop() {
  socket?.disconnect();
  socket = null;
  lastSeq = null;
  setState("offline");
}

// Narrow what the server sends (`subscribe {actions, target_kind}`); kept for reconnects.
export function narrow(next) {
  subscription = next;
  if (socket?.connected) socket.emit("subscribe", subscription, () => {});
}

// One request to the admin API. Failures become an ApiError carrying the server's error code
// (`{"error": {"code", "message", "details"}}`), which the pages show in words (i18n.js).

export const API = "/api/v1/admin";

export class ApiError extends Error {
  constructor(status, code, message, details = []) {
    super(message || code);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

export function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params || {})) {
    if (value !== undefined && value !== null && value !== "") search.set(key, value);
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

export async function send(method, path, { body, params, token, raw } = {}) {
  const headers = { Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(API + path + query(params), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
      credentials: "omit", // the token travels in the header; no cookie is ever involved
    });
  } catch (err) {
    throw new ApiError(0, "network_error", String(err));
  }
  if (!response.ok) throw await failure(response);
  if (raw) return response;
  if (response.status === 204) return null;
  return response.json();
}

async function failure(response) {
  try {
    const { error } = await response.json();
    return new ApiError(response.status, error.code, error.message, error.details || []);
  } catch {
    return new ApiError(response.status, `http_${response.status}`, response.statusText);
  }
}

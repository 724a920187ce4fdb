// Every call to the service goes through here: the key kept in sessionStorage (gone with
// the tab, never in a URL) is sent as a Bearer token, and every answer that is not a 2xx
// becomes an ApiError carrying the problem+json fields, so views show what the API said.

const KEY_NAME = "refgraph.apiKey";
const unauthorizedListeners = new Set();

export function getKey() {
  return sessionStorage.getItem(KEY_NAME) ?? "";
}

export function setKey(key) {
  sessionStorage.setItem(KEY_NAME, key);
}

export function forgetKey() {
  sessionStorage.removeItem(KEY_NAME);
}

// Called with the ApiError whenever the service refuses the key itself (401), whichever
// view asked: the header says so once instead of every view guessing.
export function onUnauthorized(listener) {
  unauthorizedListeners.add(listener);
}

export class ApiError extends Error {
  constructor(status, problem) {
    const title = stringOr(problem.title, status ? `HTTP ${status}` : "Request failed");
    const detail = stringOr(problem.detail, "");
    super(detail || title);
    this.status = status;
    this.title = title;
    this.detail = detail;
    this.errors = Array.isArray(problem.errors) ? problem.errors : [];
  }
}

function stringOr(value, fallback) {
  return typeof value === "string" && value ? value : fallback;
}

export function memberPath(memberId, tail = "") {
  return `/v1/members/${encodeURIComponent(memberId)}${tail}`;
}

export async function request(method, path, { query, body, raw = false } = {}) {
  const key = getKey();
  if (!key) {
    throw new ApiError(401, { title: "No API key", detail: "enter an API key at the top of the page" });
  }
  const url = new URL(path, window.location.origin);
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(name, String(value));
  }
  const headers = { Authorization: `Bearer ${key}`, Accept: "application/json, application/problem+json" };
  const init = { method, headers };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, init);
  } catch (error) {
    // The browser's own text ("TypeError: Failed to fetch") names no cause a person can act on.
    const cause = error instanceof Error && error.message ? ` (${error.message})` : "";
    throw new ApiError(0, {
      title: "Service unreachable",
      detail: `the service did not answer: check that it is running and reachable${cause}`,
    });
  }
  const text = await response.text();
  if (raw && response.ok) return text;
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    const problem = data !== null && typeof data === "object" ? data : { detail: text.slice(0, 300) };
    const error = new ApiError(response.status, problem);
    if (response.status === 401) unauthorizedListeners.forEach((listener) => listener(error));
    throw error;
  }
  return data;
}

export const get = (path, query) => request("GET", path, { query });
export const post = (path, body) => request("POST", path, { body });
export const remove = (path) => request("DELETE", path);
// An answer that is no JSON (a CSV file), as its text.
export const getText = (path, query) => request("GET", path, { query, raw: true });

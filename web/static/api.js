// Talking to the Classifly API (docs/architecture.md, "API contract"): the model
// list, predictions, and turning every failure into words for a person.

import { authHeaders, forget } from "./auth.js";

const config = window.CLASSIFLY_CONFIG || {};

// apiBase is where the API is, from config.js; empty means this page's origin.
export const apiBase = String(config.apiBase || "").replace(/\/+$/, "");

export const apiURL = (path) => apiBase + path;

// ShownError is a failure to show the person: a heading, the explanation, and
// a small technical line (status and code) for bug reports.
export class ShownError extends Error {
  constructor(title, message, detail = "") {
    super(message);
    this.title = title;
    this.detail = detail;
  }
}

// Headings for the statuses the API uses. The API's own message goes
// underneath.
const statusTitles = {
  400: "The request was not understood",
  401: "You need to sign in",
  403: "Access denied",
  404: "Not found",
  405: "This server does not accept pictures here",
  408: "The request took too long",
  413: "That picture is too large",
  415: "That file is not a picture Classifly can read",
  422: "A setting was not accepted",
  429: "Too many requests",
  500: "The server had a problem",
  502: "The server could not answer",
  503: "The service is busy or still starting",
  504: "The server took too long",
};

// Headings for the API's error codes where the status alone says too little.
const codeTitles = {
  invalid_image: "That picture seems to be damaged",
  unsupported_image: "That file is not a picture Classifly can read",
  unknown_model: "That model is not available",
  url_not_allowed: "That address cannot be used",
  fetch_failed: "The picture could not be fetched",
  fetch_timeout: "The picture took too long to fetch",
  timeout: "The server took too long",
  backend_unavailable: "The model service cannot be reached",
  incomplete_body: "The upload was cut off",
  upload_too_slow: "The upload was too slow",
};

// What the person can do next, by code (or status).
const advice = {
  invalid_image: "Try saving it again, or choose another picture.",
  unsupported_image: "Choose a JPEG, PNG, GIF, BMP or WebP picture.",
  unsupported_media_type: "Choose a JPEG, PNG, GIF, BMP or WebP picture.",
  unknown_model: "Choose another model from the list.",
  url_not_allowed: "Use a public http:// or https:// address of a picture.",
  fetch_failed: "Check that the address opens a picture in your browser, or download it and choose the file.",
  fetch_timeout: "Try again, or download the picture and choose the file.",
  incomplete_body: "Check your connection and try again.",
  upload_too_slow: "Check your connection, or choose a smaller picture.",
  413: "Choose a smaller picture.",
};

// fetchModels returns the served models as {name, default, description}.
export async function fetchModels() {
  const res = await send("/models", { headers: { Accept: "application/json" } });
  const data = await readJSON(res);
  if (!res.ok) throw errorFromResponse(res, data);
  const models = parseModels(data);
  if (models.length === 0) throw new ShownError("No models", "the server listed no models");
  return models;
}

// predict sends one /predict request and returns the parsed result and the
// round-trip time in milliseconds. It throws a ShownError, or the AbortError
// of signal.
export async function predict(path, init, signal) {
  const started = performance.now();
  const res = await send(path, { ...init, signal });
  const data = await readJSON(res);
  signal.throwIfAborted();
  if (!res.ok) throw errorFromResponse(res, data);
  if (!data || !Array.isArray(data.predictions)) {
    throw new ShownError("Unexpected answer", "The server's answer was not a classification result.", `HTTP ${res.status}`);
  }
  return { data, roundTripMs: performance.now() - started };
}

// send is fetch with the signed-in user's token, if any, and a network
// failure (no answer at all) as a ShownError. A 401 drops the token: the
// person has to sign in again.
async function send(path, init) {
  try {
    const res = await fetch(apiURL(path), { ...init, headers: authHeaders(init.headers) });
    if (res.status === 401) forget();
    return res;
  } catch (err) {
    if (init.signal && init.signal.aborted) throw err;
    throw new ShownError(
      "Could not reach the server",
      `No answer from ${apiBase || location.origin}. Check your connection and try again.`,
      String((err && err.message) || err),
    );
  }
}

// parseModels accepts what a /models answer may reasonably be: a list, or an
// object with a "models" list; each item a name or an object with a name.
export function parseModels(data) {
  const list = Array.isArray(data) ? data : data && Array.isArray(data.models) ? data.models : [];
  const models = [];
  for (const item of list) {
    if (typeof item === "string" && item) {
      models.push({ name: item, default: false, description: "" });
    } else if (item && typeof item === "object") {
      const name = item.name || item.id;
      if (typeof name !== "string" || !name) continue;
      const format = typeof item.format === "string" ? item.format : "";
      models.push({ name, default: item.default === true, description: describeModel(item), format });
    }
  }
  return models;
}

// describeModel is the line under the selector: the model's own description,
// or what /models tells of its input and classes.
function describeModel(m) {
  if (typeof m.description === "string" && m.description) return m.description;
  const parts = [];
  const input = m.input || {};
  if (typeof m.format === "string" && m.format) parts.push(m.format);
  if (input.width > 0 && input.height > 0) parts.push(`${input.width} × ${input.height} input`);
  if (m.labels > 0) parts.push(`${m.labels} classes`);
  return parts.join(" · ");
}

// readJSON returns the parsed body, or null when it is not JSON (a proxy's
// HTML error page, an empty body, a cut connection).
async function readJSON(res) {
  let text = "";
  try {
    text = await res.text();
  } catch {
    return null;
  }
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

// errorFromResponse explains a failed answer: the API's error JSON
// {"error": {"code", "message"}}, another JSON shape, or no JSON at all.
function errorFromResponse(res, data) {
  const e = data && typeof data === "object" && data.error;
  let message = "";
  let code = "";
  if (e && typeof e === "object") {
    message = typeof e.message === "string" ? e.message : "";
    code = typeof e.code === "string" ? e.code : "";
  } else if (typeof e === "string") {
    message = e; // tolerate {"error": "…"}
  } else if (data && typeof data.message === "string") {
    message = data.message; // e.g. API Gateway's {"message": "Not Found"}
  }
  if (!message) {
    message = data
      ? res.statusText || "The server gave no explanation."
      : `The server answered with something other than the expected JSON${res.statusText ? ` (${res.statusText})` : ""}.`;
  }
  const title =
    codeTitles[code] || statusTitles[res.status] || (res.status >= 500 ? "The server had a problem" : "The request failed");
  const detail = `HTTP ${res.status}${code ? ` · ${code}` : ""}`;
  message = sentence(message);
  const next = advice[code] || advice[res.status];
  if (next) message += ` ${next}`;
  // Retry-After reaches a page on another origin only if the API exposes it.
  const retry = Number(res.headers.get("Retry-After"));
  if (retry > 0) message += ` Try again in ${retry} second${retry === 1 ? "" : "s"}.`;
  return new ShownError(title, message, detail);
}

function sentence(s) {
  s = String(s).trim();
  if (!s) return s;
  s = s[0].toUpperCase() + s.slice(1);
  return /[.!?]$/.test(s) ? s : `${s}.`;
}

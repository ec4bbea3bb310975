// Classifly's page: take a picture (file, drop, paste or URL), send it to
// POST /predict and show the top five labels. api.js talks to the API (its
// address comes from config.js), render.js draws the result.

import { apiURL, fetchModels, predict, ShownError } from "./api.js";
import * as auth from "./auth.js";
import { announcement, formatBytes, resultNodes } from "./render.js";

const TOP_K = 5;

const $ = (id) => document.getElementById(id);
const el = {
  model: $("model"),
  modelHint: $("model-hint"),
  drop: $("drop"),
  file: $("file"),
  urlForm: $("url-form"),
  url: $("url"),
  urlError: $("url-error"),
  preview: $("preview"),
  previewImg: $("preview-img"),
  previewNone: $("preview-none"),
  previewCaption: $("preview-caption"),
  status: $("status"),
  error: $("error"),
  errorTitle: $("error-title"),
  errorMessage: $("error-message"),
  errorDetail: $("error-detail"),
  results: $("results"),
  resultPanel: $("result"),
  apiDocs: $("api-docs"),
  account: $("account"),
  accountName: $("account-name"),
  signIn: $("sign-in"),
  signOut: $("sign-out"),
};

let previewURL = ""; // object URL of the local preview, revoked when replaced
let lastInput = null; // what to classify again when the model changes
let inflight = null; // AbortController of the current request

// ---------------------------------------------------------------- models

async function loadModels() {
  try {
    const models = await fetchModels();
    el.model.replaceChildren(
      ...models.map((m) => {
        const opt = new Option(m.format ? `${m.name} (${m.format})` : m.name, m.name, false, m.default);
        if (m.description) opt.title = m.description;
        return opt;
      }),
    );
    if (!models.some((m) => m.default)) el.model.value = models[0].name;
    showModelHint();
  } catch (err) {
    const why = err instanceof ShownError ? err.message : String(err);
    el.modelHint.textContent = `Could not load the list of models (${lowerFirst(why)}); the server's default model will be used.`;
  }
}

function showModelHint() {
  const opt = el.model.selectedOptions[0];
  el.modelHint.textContent = (opt && opt.title) || "";
}

// ---------------------------------------------------------------- sign-in

// startAuth finishes a sign-in that brought the browser back here, then
// shows who is signed in; nothing at all when the deployment has no auth.
async function startAuth() {
  if (!auth.enabled) return;
  el.account.hidden = false;
  const problem = await auth.finishSignIn();
  showAccount();
  if (problem) showError(new ShownError("Could not sign in", problem));
}

// What a 401 means to a person, by why they are not signed in.
const signInAdvice = {
  "": "Sign in at the top of the page to classify pictures.",
  expired: "Your sign-in has expired. Sign in again at the top of the page.",
  refused: "The server did not accept your sign-in (it may have expired or been revoked). Sign in again at the top of the page.",
};

function showAccount() {
  const signedIn = auth.signedIn();
  const name = auth.userName();
  el.signIn.hidden = signedIn;
  el.signOut.hidden = !signedIn;
  el.accountName.textContent = signedIn ? (name ? `Signed in as ${name}` : "Signed in") : "Sign in to classify pictures";
}

el.signIn.addEventListener("click", () => auth.signIn());
el.signOut.addEventListener("click", () => auth.signOut());

// ---------------------------------------------------------------- input

function openPicker() {
  el.file.click();
}

// A native button: Enter and Space click it.
el.drop.addEventListener("click", openPicker);

el.file.addEventListener("change", () => {
  const file = el.file.files && el.file.files[0];
  if (file) classifyFile(file);
  el.file.value = ""; // so choosing the same file again still fires "change"
});

// Dropping anywhere on the page works; the drop zone lights up meanwhile.
let dragDepth = 0;
window.addEventListener("dragenter", (e) => {
  if (!carriesPicture(e)) return;
  e.preventDefault();
  dragDepth++;
  el.drop.classList.add("dragging");
});
window.addEventListener("dragover", (e) => {
  if (!carriesPicture(e)) return;
  e.preventDefault();
  e.dataTransfer.dropEffect = "copy";
});
window.addEventListener("dragleave", () => {
  if (--dragDepth <= 0) endDrag();
});
window.addEventListener("drop", (e) => {
  if (!carriesPicture(e)) return;
  e.preventDefault(); // never let the browser navigate to the dropped file
  endDrag();
  const file = e.dataTransfer.files[0];
  if (file) {
    classifyFile(file);
    return;
  }
  const link = firstURL(e.dataTransfer.getData("text/uri-list") || e.dataTransfer.getData("text/plain"));
  if (link) {
    el.url.value = link;
    classifyURL(link);
  }
});

function endDrag() {
  dragDepth = 0;
  el.drop.classList.remove("dragging");
}

function carriesPicture(e) {
  const types = Array.from((e.dataTransfer && e.dataTransfer.types) || []);
  return types.includes("Files") || types.includes("text/uri-list");
}

// Pasting a picture anywhere classifies it; pasting a link outside a text
// field classifies the link.
document.addEventListener("paste", (e) => {
  const data = e.clipboardData;
  if (!data) return;
  const file = Array.from(data.files || []).find((f) => f.type.startsWith("image/")) || data.files[0];
  if (file) {
    e.preventDefault();
    classifyFile(file);
    return;
  }
  const target = e.target;
  if (target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement) return;
  const link = firstURL(data.getData("text/plain"));
  if (link) {
    e.preventDefault();
    el.url.value = link;
    classifyURL(link);
  }
});

el.urlForm.addEventListener("submit", (e) => {
  e.preventDefault();
  const link = el.url.value.trim();
  if (!link) {
    showURLProblem("Type or paste the address of a picture, starting with https://.");
    return;
  }
  if (!isWebURL(link)) {
    showURLProblem("That is not a web address: an image URL starts with http:// or https://.");
    return;
  }
  classifyURL(link);
});

el.url.addEventListener("input", () => showURLProblem(""));

// showURLProblem explains, beside the field, why the URL was not sent; an
// empty message clears it. It is spoken once: moving the focus to the field
// reads its description, and when the focus is already there (Enter in the
// field) the status region says it instead.
function showURLProblem(message) {
  el.urlError.textContent = message;
  el.urlError.hidden = !message;
  if (message) {
    el.url.setAttribute("aria-invalid", "true");
    el.url.setAttribute("aria-describedby", "url-error");
    if (document.activeElement === el.url) announce(message);
    else el.url.focus();
  } else {
    el.url.removeAttribute("aria-invalid");
    el.url.removeAttribute("aria-describedby");
  }
}

// announce puts one line in the status region, which screen readers speak.
function announce(line) {
  el.status.textContent = line;
}

el.model.addEventListener("change", () => {
  showModelHint();
  if (lastInput && lastInput.kind === "file") classifyFile(lastInput.file);
  else if (lastInput && lastInput.kind === "url") classifyURL(lastInput.url);
});

function firstURL(text) {
  const line = (text || "").split(/\r?\n/).map((s) => s.trim()).find((s) => s && !s.startsWith("#"));
  return line && isWebURL(line) ? line : "";
}

function isWebURL(s) {
  try {
    const u = new URL(s);
    return u.protocol === "http:" || u.protocol === "https:";
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------- classify

function classifyFile(file) {
  lastInput = { kind: "file", file };
  showPreview(URL.createObjectURL(file), true, `${file.name || "Pasted picture"} · ${formatBytes(file.size)}`);
  const query = new URLSearchParams({ top_k: String(TOP_K) });
  if (el.model.value) query.set("model", el.model.value);
  // The raw bytes are the body (docs/architecture.md, "API contract": image/* or application/octet-stream).
  // A file the browser does not know as a picture goes as octet-stream, so the
  // server looks at its bytes and says what is wrong with them.
  const type = file.type.startsWith("image/") ? file.type : "application/octet-stream";
  run(file.name || "the pasted picture", `/predict?${query}`, {
    method: "POST",
    headers: { "Content-Type": type, Accept: "application/json" },
    body: file,
  });
}

function classifyURL(link) {
  showURLProblem("");
  lastInput = { kind: "url", url: link };
  showPreview(link, false, shortURL(link));
  const body = { image_url: link, top_k: TOP_K };
  if (el.model.value) body.model = el.model.value;
  run(shortURL(link), "/predict", {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify(body),
  });
}

async function run(what, path, init) {
  if (inflight) inflight.abort();
  const ctl = new AbortController();
  inflight = ctl;
  hideError();
  el.results.setAttribute("aria-busy", "true");
  el.results.classList.add("stale");
  el.status.textContent = `Classifying ${what}…`;
  el.status.classList.add("busy");
  revealResult();
  let spoken = ""; // the line the status region says at the end
  try {
    const { data, roundTripMs } = await predict(path, init, ctl.signal);
    el.results.replaceChildren(...resultNodes(data, roundTripMs));
    spoken = announcement(data);
  } catch (err) {
    if (ctl.signal.aborted) return; // a newer request took over
    el.results.replaceChildren();
    // The error box is an alert: it speaks for itself.
    const shown = err instanceof ShownError ? err : new ShownError("Something went wrong", String((err && err.message) || err));
    if (auth.enabled && /^HTTP 401\b/.test(shown.detail)) {
      shown.message = signInAdvice[auth.lapse()] || signInAdvice[""];
      showAccount();
    }
    showError(shown);
  } finally {
    if (inflight === ctl) {
      inflight = null;
      announce(spoken);
      el.status.classList.remove("busy");
      el.results.removeAttribute("aria-busy");
      el.results.classList.remove("stale");
    }
  }
}

// ---------------------------------------------------------------- output

function showPreview(src, local, caption) {
  if (previewURL) URL.revokeObjectURL(previewURL);
  previewURL = local ? src : "";
  el.preview.hidden = false;
  el.previewImg.hidden = false;
  el.previewNone.hidden = true;
  el.previewImg.referrerPolicy = "no-referrer";
  el.previewImg.onerror = () => {
    el.previewImg.hidden = true;
    el.previewNone.hidden = false;
  };
  el.previewImg.src = src;
  el.previewImg.alt = caption; // what it is a preview of, not a blank
  el.previewCaption.textContent = caption;
}

// On a phone the result is below the controls: bring it into view (without
// moving the focus) when it is off screen.
function revealResult() {
  const top = el.resultPanel.getBoundingClientRect().top;
  if (top < window.innerHeight - 80) return;
  const smooth = !window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  el.resultPanel.scrollIntoView({ block: "start", behavior: smooth ? "smooth" : "auto" });
}

function showError(err) {
  el.errorTitle.textContent = err.title || "Something went wrong";
  el.errorMessage.textContent = err.message;
  el.errorDetail.textContent = err.detail || "";
  el.errorDetail.hidden = !err.detail;
  el.error.hidden = false;
}

function hideError() {
  el.error.hidden = true;
}

function shortURL(link) {
  try {
    const u = new URL(link);
    const name = u.pathname.split("/").filter(Boolean).pop();
    return name ? `${decodeURIComponent(name)} from ${u.host}` : u.host;
  } catch {
    return link;
  }
}

function lowerFirst(s) {
  return s ? s[0].toLowerCase() + s.slice(1) : s;
}

el.apiDocs.href = apiURL("/openapi.json");
startAuth();
loadModels();

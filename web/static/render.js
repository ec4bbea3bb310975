// Building the result: the top label, one labelled bar per prediction, and
// what the picture was and how long each stage took.

// resultNodes returns the elements that show a /predict answer.
export function resultNodes(data, roundTripMs) {
  const preds = data.predictions.filter((p) => p && typeof p === "object");
  const nodes = [];
  if (preds.length === 0) {
    nodes.push(node("p", "empty", "The model is not confident about anything in this picture."));
  } else {
    const top = preds[0];
    const summary = node("p", "summary");
    summary.append("Most likely ", node("strong", "", splitLabel(top)[0]), " ", node("span", "summary-pct", percent(top.score)));
    nodes.push(summary);
    nodes.push(predictionList(preds));
  }
  nodes.push(metaBlock(data, roundTripMs));
  return nodes;
}

// announcement is the one line a screen reader says for a /predict
// answer: the top label and its score ("Egyptian cat, 85%"), not every bar
// and timing.
export function announcement(data) {
  const top = data.predictions.find((p) => p && typeof p === "object");
  if (!top) return "The model is not confident about anything in this picture.";
  return `${splitLabel(top)[0]}, ${percent(top.score)}`;
}

function predictionList(preds) {
  const list = node("ol", "predictions");
  list.id = "predictions";
  list.setAttribute("aria-label", `Top ${preds.length} labels`);
  preds.forEach((p, i) => {
    const item = node("li", i === 0 ? "prediction top" : "prediction");
    item.title = `class ${p.index}`;
    const row = node("div", "prediction-row");
    const label = node("span", "label");
    const [name, more] = splitLabel(p);
    label.append(node("span", "label-name", name));
    if (more) label.append(node("span", "label-more", more));
    row.append(label, node("span", "pct", percent(p.score)));
    // The bar repeats the percentage for the eye; screen readers have the text.
    const bar = node("div", "bar");
    bar.setAttribute("aria-hidden", "true");
    const fill = node("span", "bar-fill");
    // Scaled to the score itself, not to the best one, so a doubtful answer
    // looks doubtful. Set through CSSOM, which the page's CSP allows.
    fill.style.setProperty("--value", String(clamp01(Number(p.score) || 0)));
    bar.append(fill);
    item.append(row, bar);
    list.append(item);
  });
  return list;
}

function metaBlock(data, roundTripMs) {
  const wrap = node("div", "meta");
  const facts = [];
  const img = data.image || {};
  if (img.width && img.height) facts.push(`${img.width} × ${img.height} px`);
  if (img.format) facts.push(String(img.format).toUpperCase());
  if (data.model) facts.push(data.model);
  if (facts.length) wrap.append(node("p", "facts", facts.join(" · ")));

  const t = data.timings_ms || {};
  const rows = [];
  if (Number(t.fetch) > 0) rows.push(["Fetch", t.fetch]);
  rows.push(["Decode", t.decode], ["Prepare", t.preprocess], ["Inference", t.inference], ["Total", t.total]);
  rows.push(["Round trip", roundTripMs]);
  const dl = node("dl", "timings");
  dl.setAttribute("aria-label", "Timings");
  for (const [name, value] of rows) {
    if (value === undefined || value === null || Number.isNaN(Number(value))) continue;
    const cell = node("div", "timing");
    cell.append(node("dt", "", name), node("dd", "", formatMs(Number(value))));
    dl.append(cell);
  }
  wrap.append(dl);
  return wrap;
}

function node(tag, className, text) {
  const n = document.createElement(tag);
  if (className) n.className = className;
  if (text !== undefined) n.textContent = text;
  return n;
}

// ImageNet labels list synonyms ("tabby, tabby cat"): show the first one
// plainly and the rest quieter.
function splitLabel(p) {
  const label = typeof p.label === "string" && p.label ? p.label : `class ${p.index}`;
  const cut = label.indexOf(", ");
  return cut < 0 ? [label, ""] : [label.slice(0, cut), label.slice(cut)];
}

function percent(score) {
  const v = (Number(score) || 0) * 100;
  if (v > 0 && v < 0.1) return "<0.1%";
  return `${v >= 99.95 || v === 0 ? v.toFixed(0) : v.toFixed(1)}%`;
}

function clamp01(v) {
  return Math.min(1, Math.max(0, v));
}

function formatMs(v) {
  if (v < 10) return `${v.toFixed(1)} ms`;
  if (v < 10000) return `${Math.round(v)} ms`;
  return `${(v / 1000).toFixed(1)} s`;
}

export function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

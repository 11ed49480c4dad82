// abstab review: one table at a time, decisions by keyboard. Every record text is put on the
// page with textContent (never as HTML): records are data, possibly hostile.
"use strict";

const CATEGORIES = ["explicit", "inferable_document", "inferable_table", "unresolvable"];
const S = { state: null, current: null, detail: null, focus: 0, cache: new Map(), busy: false,
            prefetch: true, keyAt: null };
// Timings for benchmarks/bench_review.py: key press to the next table shown (its page image
// decoded), and key press to a decision saved and shown.
const TIMINGS = { next: [], decision: [] };
window.reviewTimings = TIMINGS;

function $(id) { return document.getElementById(id); }

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") node.className = v;
    else if (k.startsWith("data-")) node.setAttribute(k, v);
    else node[k] = v;
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    node.append(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
  }
  return node;
}

async function api(path, body) {
  const opts = body === undefined ? {} : {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
  const r = await fetch(path, opts);
  const data = await r.json();
  if (!r.ok) throw new Error(data.error || r.statusText);
  return data;
}

function status(text) { $("status").textContent = text; }

// ------------------------------------------------------------------------------ the queue

function filters() {
  return { queue: $("f-queue").value, abstract: $("f-abstract").checked,
           order: $("f-order").value, doc: $("f-doc").value };
}

function queue() {
  const f = filters();
  let t = S.state.tables.filter(x => x.id === S.current || (
    (f.queue === "all" || !x.reviewed) && (!f.abstract || x.label === "abstract") &&
    (!f.doc || x.doc === f.doc)));
  if (f.order === "confidence") {
    t = t.map((x, i) => [x, i]).sort((a, b) => a[0].confidence - b[0].confidence || a[1] - b[1])
      .map(p => p[0]);
  }
  return t;
}

function progress() {
  const all = S.state.tables, done = all.filter(t => t.reviewed).length;
  const q = queue().filter(t => t.id !== S.current || !t.reviewed).length;
  $("progress").textContent = `${done} of ${all.length} tables reviewed · ${q} in queue`;
}

function neighbour(step) {
  const q = queue(), i = q.findIndex(t => t.id === S.current);
  const j = i + step;
  return j >= 0 && j < q.length ? q[j].id : null;
}

function saveHash() {
  const f = filters();
  const p = new URLSearchParams({ t: S.current || "", queue: f.queue, order: f.order, doc: f.doc,
                                  abstract: f.abstract ? "1" : "" });
  if (!S.prefetch) p.set("prefetch", "0");
  history.replaceState(null, "", "#" + p.toString());
}

// --------------------------------------------------------------------------- one table

async function detail(id) {
  if (!S.cache.has(id)) S.cache.set(id, api("/api/table?id=" + encodeURIComponent(id)));
  try { return await S.cache.get(id); } catch (e) { S.cache.delete(id); throw e; }
}

function prefetch(id) {
  if (!id) return;
  detail(id).then(d => d.images.forEach(im => { const i = new Image(); i.src = im.url; }))
    .catch(() => {});
}

async function show(id, keepFocus) {
  if (!id) { status("The queue is empty: every table in it is reviewed."); return; }
  document.body.dataset.ready = "";
  S.current = id;
  const d = await detail(id);
  if (S.current !== id) return;
  S.detail = d;
  if (!keepFocus) S.focus = 0;
  render();
  saveHash();
  progress();
  await Promise.all([...document.querySelectorAll("#images img")].map(
    img => img.decode().catch(() => {})));
  placeBoxes();
  if (S.current !== id) return;
  document.body.dataset.ready = id;
  if (S.keyAt !== null) TIMINGS.next.push({ table: id, ms: performance.now() - S.keyAt });
  S.keyAt = null;
  if (S.prefetch) prefetch(neighbour(1));
}

function decisionOf(unit, id) { return S.detail.decisions[unit + "|" + id] || null; }

function headerAbstract(h) {
  const d = decisionOf("header", h.id);
  if (!d) return null;
  if (d.decision === "edit") return d.value;
  return d.decision === "accept" ? h.abstract : !h.abstract;
}

// Meanings: the resolver's, plus one to write for each header a person marked abstract
// that has none.
function meanings() {
  const have = new Set(S.detail.meanings.map(m => m.id));
  const extra = S.detail.headers.filter(h => headerAbstract(h) === true && !have.has(h.id))
    .map(h => ({ id: h.id, keyword: h.text, meaning: null, category: null, evidence: [],
                 confidence: null, method: "", none: true }));
  return S.detail.meanings.concat(extra);
}

function units() {
  return S.detail.headers.map(h => ["header", h]).concat(
    meanings().map(m => ["meaning", m]), S.detail.items.map(i => ["item", i]));
}

function badge(unit, id) {
  const d = decisionOf(unit, id);
  if (!d) return null;
  let text = d.decision;
  if (unit === "item") text = d.decision === "accept" ? "kept" : "dropped";
  if (unit === "header" && d.decision === "edit") text = d.value ? "abstract" : "not abstract";
  if (unit === "table" && d.value) text += " (" + d.value.replace("_", " ") + ")";
  return el("span", { class: "dec dec-" + d.decision }, text + " · " + d.reviewer);
}

function render() {
  const d = S.detail, focused = units()[S.focus];
  $("title").textContent = d.caption || d.id;
  $("where").textContent = `${d.doc_title} · page ${d.pages.join(", ")} · ${d.id}`;
  $("judge").replaceChildren(
    el("b", { class: "label-" + d.label }, d.label || "not judged"),
    d.confidence === null ? "" : ` · confidence ${d.confidence.toFixed(2)}`,
    d.reasons.length ? el("span", { class: "muted" }, " · " + d.reasons.join("; ")) : "");
  $("table-decision").replaceChildren("table: ", badge("table", d.id) ||
    el("span", { class: "muted" }, "not reviewed"));
  renderImages(d);
  renderGrid(d, focused);
  $("notes").replaceChildren(...d.notes.map(n => el("li", { class: "muted" }, n)));
  $("meanings").replaceChildren(...meanings().map((m, i) => renderMeaning(m, focused)));
  $("items").replaceChildren(...d.items.map(it => renderItem(it, focused)));
  const f = document.querySelector(".focus");
  if (f && f.scrollIntoView) f.scrollIntoView({ block: "nearest" });
}

function renderImages(d) {
  const box = $("images");
  if (box.dataset.table !== d.id) {
    box.dataset.table = d.id;
    box.replaceChildren(...d.images.map(im => el("div", { class: "region", "data-page": im.page },
      el("img", { src: im.url, alt: `page ${im.page} of the PDF` }),
      el("span", { class: "page" }, `p. ${im.page}`))));
  }
  $("no-pdf").hidden = d.pdf;
  $("no-pdf").textContent = d.pdf ? "" :
    `The PDF (${d.source}) is not at its source path with the content extracted: the grid only.`;
}

function placeBoxes() {
  const d = S.detail, focused = units()[S.focus];
  for (const region of document.querySelectorAll("#images .region")) {
    const im = d.images.find(x => String(x.page) === region.dataset.page);
    const img = region.querySelector("img");
    region.querySelectorAll(".box").forEach(b => b.remove());
    if (!im || !img.naturalWidth) continue;
    for (const h of d.headers) {
      const c = d.cells.find(x => x.row === h.row && x.col === h.col);
      if (!c || !c.bbox || c.page !== im.page) continue;
      const [x0, y0, x1, y1] = c.bbox, [cx, cy] = im.clip;
      const W = img.naturalWidth, H = img.naturalHeight, SCALE = im.scale;
      const box = el("div", { class: "box" });
      const abstract = headerAbstract(h) ?? h.abstract;
      if (abstract) box.classList.add("abstract");
      if (focused && focused[1].id === h.id && focused[0] === "header") box.classList.add("focus");
      box.style.left = ((x0 - cx) * SCALE / W * 100) + "%";
      box.style.top = ((y0 - cy) * SCALE / H * 100) + "%";
      box.style.width = ((x1 - x0) * SCALE / W * 100) + "%";
      box.style.height = ((y1 - y0) * SCALE / H * 100) + "%";
      region.append(box);
    }
  }
}

function renderGrid(d, focused) {
  // an item across two tables gives [row, col, k]: only the cells of the table shown (k-th)
  const onThis = rc => rc.length < 3 || (focused[1].tables || [])[rc[2]] === d.id;
  const evidence = new Set(focused && focused[0] === "item" ?
    focused[1].cells.filter(onThis).map(rc => rc.slice(0, 2).join(",")) : []);
  const headers = new Map(d.headers.map(h => [h.row + "," + h.col, h]));
  const rows = new Map();
  for (const c of d.cells) {
    if (!rows.has(c.row)) rows.set(c.row, []);
    rows.get(c.row).push(c);
  }
  const trs = [...rows.keys()].sort((a, b) => a - b).map(r => el("tr", {},
    ...rows.get(r).sort((a, b) => a.col - b.col).map(c => {
      const cell = el(c.header ? "th" : "td", { rowSpan: c.row_span, colSpan: c.col_span }, c.text);
      const h = headers.get(c.row + "," + c.col);
      if (h) {
        cell.dataset.id = h.id;
        if (h.abstract) cell.classList.add("abstract");
        const gold = headerAbstract(h);
        if (gold === true) cell.classList.add("gold-abstract");
        if (gold === false) cell.classList.add("gold-clear");
        if (focused && focused[0] === "header" && focused[1].id === h.id) cell.classList.add("focus");
        cell.addEventListener("click", () => focusUnit("header", h.id));
      }
      if (evidence.has(c.row + "," + c.col)) cell.classList.add("evidence");
      return cell;
    })));
  $("grid").replaceChildren(el("tbody", {}, ...trs));
}

function renderEvidence(e) {
  const where = [e.page ? `p. ${e.page}` : null, e.section.length ? e.section.join(" › ") : null,
                 e.source !== "block" ? e.source : null].filter(Boolean).join(" · ");
  return el("div", { class: "ev" }, where ? el("span", { class: "muted" }, where + ": ") : "",
            e.before ? "…" + e.before : "", el("mark", {}, e.text), e.after ? e.after + "…" : "",
            e.image ? el("img", { class: "ev-img", src: e.image, loading: "lazy",
                                  alt: "the evidence on its page" }) : "");
}

function renderMeaning(m, focused) {
  const li = el("li", { class: "unit", "data-unit": "meaning", "data-id": m.id },
    el("b", {}, m.keyword), " → ",
    m.none ? el("span", { class: "muted" }, "no meaning proposed: press e to write one")
      : el("span", { class: "meaning" }, m.meaning === null ? "(none)" : m.meaning),
    m.category ? el("span", { class: "muted" }, ` · ${m.category}`) : "",
    m.confidence === null ? "" : el("span", { class: "muted" }, ` · ${m.confidence.toFixed(2)}`),
    badge("meaning", m.id));
  const d = decisionOf("meaning", m.id);
  if (d && d.decision === "edit") {
    li.append(el("div", { class: "ev" }, "→ ", el("b", { class: "corrected" },
      d.value.meaning === null ? "(unresolvable)" : d.value.meaning), ` · ${d.value.category}`));
  }
  m.evidence.forEach(e => li.append(renderEvidence(e)));
  if (focused && focused[0] === "meaning" && focused[1].id === m.id) li.classList.add("focus");
  li.addEventListener("click", () => focusUnit("meaning", m.id));
  return li;
}

function renderItem(it, focused) {
  const li = el("li", { class: "unit", "data-unit": "item", "data-id": it.id },
    el("span", { class: "q" }, it.question), " ", el("b", { class: "answer" }, it.answer),
    el("span", { class: "muted" }, ` · ${it.answer_location}` +
       (it.table_id !== S.detail.id ? ` · variant ${it.table_id}` : "") +
       (it.cells.length ? ` · cells ${it.cells.map(c => "(" + c.join(",") + ")").join(" ")}` : "")),
    badge("item", it.id));
  if (focused && focused[0] === "item" && focused[1].id === it.id) li.classList.add("focus");
  li.addEventListener("click", () => focusUnit("item", it.id));
  return li;
}

function focusUnit(unit, id) {
  const i = units().findIndex(u => u[0] === unit && u[1].id === id);
  if (i >= 0) { S.focus = i; render(); placeBoxes(); }
}

// ---------------------------------------------------------------------------- decisions

function applyResult(r) {
  const key = r.unit + "|" + r.id;
  for (const id of [r.table, S.current]) {
    const cached = S.cache.get(id);
    if (cached) cached.then(d => { if (r.table === d.id) {
      if (r.decision) d.decisions[key] = r.decision; else delete d.decisions[key]; } });
  }
  const t = S.state.tables.find(x => x.id === r.table);
  if (t) t.reviewed = r.reviewed;
}

async function decide(unit, id, decision, value) {
  const r = await api("/api/decide", { unit, id, decision, value: value === undefined ? null : value });
  applyResult(r);
  if (S.detail && r.table === S.detail.id) {
    const key = unit + "|" + id;
    if (r.decision) S.detail.decisions[key] = r.decision; else delete S.detail.decisions[key];
  }
  status(`${unit} ${id}: ${decision}`);
  return r;
}

async function undo() {
  const r = await api("/api/undo", {});
  applyResult(r);
  if (S.detail && r.table === S.detail.id) {
    const key = r.unit + "|" + r.id;
    if (r.decision) S.detail.decisions[key] = r.decision; else delete S.detail.decisions[key];
  }
  status(`undone: ${r.unit} ${r.id}`);
  await show(r.table, r.table === S.current);
}

function currentMeaning(m) {
  const d = decisionOf("meaning", m.id);
  if (d && d.decision === "edit") return d.value;
  return { meaning: m.meaning, category: m.category || "explicit" };
}

function rewrite(m) {
  const li = document.querySelector(`li[data-unit="meaning"][data-id="${CSS.escape(m.id)}"]`);
  const cur = currentMeaning(m);
  const input = el("input", { class: "rewrite", type: "text", value: cur.meaning || "" });
  li.append(input);
  input.focus();
  input.addEventListener("keydown", async ev => {
    ev.stopPropagation();
    if (ev.key === "Escape") { render(); placeBoxes(); }
    if (ev.key !== "Enter") return;
    const text = input.value.trim();
    const category = cur.category === "unresolvable" ? "explicit" : cur.category;
    await run(() => text ? decide("meaning", m.id, "edit", { meaning: text, category })
      : decide("meaning", m.id, "edit", { meaning: null, category: "unresolvable" }));
  });
}

async function acceptRest() {
  const d = S.detail;
  if (!decisionOf("table", d.id)) await decide("table", d.id, "accept");
  for (const [unit, u] of units()) {
    if (!u.none && !decisionOf(unit, u.id)) await decide(unit, u.id, "accept");
  }
}

async function run(fn, timed) {
  if (S.busy) return;
  S.busy = true;
  const t0 = performance.now();
  try { await fn(); } catch (e) { status("Error: " + e.message); }
  finally { S.busy = false; }
  if (S.detail) { render(); placeBoxes(); progress(); }
  if (timed) TIMINGS.decision.push({ ms: performance.now() - t0 });
}

function onKey(ev) {
  if (ev.target instanceof HTMLInputElement || ev.target instanceof HTMLSelectElement) return;
  if (!S.detail) return;
  const u = units()[S.focus], d = S.detail;
  const key = ev.key, k = key.toLowerCase();
  const act = {
    "ArrowRight": () => show(neighbour(1)), "]": () => show(neighbour(1)),
    "ArrowLeft": () => show(neighbour(-1)), "[": () => show(neighbour(-1)),
    "j": () => { S.focus = Math.min(S.focus + 1, units().length - 1); },
    "ArrowDown": () => { S.focus = Math.min(S.focus + 1, units().length - 1); },
    "k": () => { S.focus = Math.max(S.focus - 1, 0); },
    "ArrowUp": () => { S.focus = Math.max(S.focus - 1, 0); },
    "a": () => decide("table", d.id, "accept"),
    "x": () => decide("table", d.id, "reject", "not_table"),
    "w": () => decide("table", d.id, "reject", "bad_extraction"),
    "z": () => undo(),
    "Enter": async () => { await acceptRest(); const next = neighbour(1); if (next) await show(next); },
  };
  if (u) {
    const [unit, x] = u;
    if (!x.none) {
      act.y = () => decide(unit, x.id, "accept");
      act.n = () => decide(unit, x.id, "reject");
    }
    if (unit === "item") act.d = act.n;
    if (unit === "header") {
      act[" "] = () => decide("header", x.id, "edit", !(headerAbstract(x) ?? x.abstract));
      act.t = act[" "];
    }
    if (unit === "meaning") {
      act.e = () => { rewrite(x); };
      act.u = () => decide("meaning", x.id, "edit", { meaning: null, category: "unresolvable" });
      act.c = () => {
        const cur = currentMeaning(x);
        const options = cur.meaning ? CATEGORIES.filter(c => c !== "unresolvable") : CATEGORIES;
        const next = options[(options.indexOf(cur.category) + 1) % options.length];
        if (!cur.meaning) { status("write a meaning (e) before choosing its category"); return; }
        return decide("meaning", x.id, "edit", { meaning: cur.meaning, category: next });
      };
    }
  }
  const fn = act[key] || ((ev.ctrlKey || ev.metaKey) && k === "z" ? act.z : null) ||
             (key.length === 1 && !ev.ctrlKey && !ev.metaKey ? act[k] : null);
  if (!fn) return;
  ev.preventDefault();
  if (key === "e" || key === "E") { fn(); return; }
  const moves = ["ArrowRight", "ArrowLeft", "]", "[", "Enter"];
  if (moves.includes(key)) S.keyAt = performance.now();
  run(fn, "ynadxwtuc ".includes(k) && key !== "Enter");
}

// ------------------------------------------------------------------------------- start

async function start() {
  S.state = await api("/api/state");
  $("reviewer").textContent = "reviewer: " + S.state.reviewer;
  for (const [id, title] of Object.entries(S.state.docs)) {
    $("f-doc").append(el("option", { value: id }, title));
  }
  const p = new URLSearchParams(location.hash.slice(1));
  S.prefetch = p.get("prefetch") !== "0";
  if (p.get("queue")) $("f-queue").value = p.get("queue");
  if (p.get("order")) $("f-order").value = p.get("order");
  if (p.get("doc") && S.state.docs[p.get("doc")]) $("f-doc").value = p.get("doc");
  $("f-abstract").checked = p.get("abstract") === "1";
  for (const id of ["f-queue", "f-order", "f-doc", "f-abstract"]) {
    $(id).addEventListener("change", () => {  // a new queue starts at its top
      S.current = null;
      show((queue()[0] || {}).id);
      $(id).blur();
    });
  }
  document.addEventListener("keydown", onKey);
  // Resume: the table in the address, else where this reviewer stopped, else the queue's first.
  let id = S.state.tables.some(t => t.id === p.get("t")) ? p.get("t") : null;
  if (!id && S.state.resume) {
    S.current = S.state.resume;
    const t = S.state.tables.find(x => x.id === S.state.resume);
    id = t && !t.reviewed ? t.id : neighbour(1);
    S.current = null;
  }
  if (!id) id = (queue()[0] || {}).id;
  await show(id);
}

start().catch(e => status("Error: " + e.message));

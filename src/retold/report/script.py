"""The JavaScript inlined into the HTML report (see :mod:`retold.report.html`).

It reads the data from the ``<script type="application/json" id="retold-data">`` block and
builds every view on demand; document text reaches the page only through ``textContent``
/ ``createTextNode`` / ``setAttribute`` (never ``innerHTML``), so a text holding markup is
shown, never run. It must not contain ``</`` + ``script``.
"""

JS = r"""
(function () {
"use strict";
var D = JSON.parse(document.getElementById("retold-data").textContent);
var DOCS = D.docs, PAIRS = D.pairs, FAMS = D.families, PAGE = D.page_size || 50;
var RELS = ["duplicate", "contains", "contained", "overlap"];
var REL_COLOR = {duplicate: "#b91c1c", contains: "#7c3aed", contained: "#0f766e", overlap: "#2563eb"};
var PAL = ["#2563eb", "#16a34a", "#d97706", "#db2777", "#4f46e5", "#0d9488", "#ea580c", "#9333ea"];
var NPAL = PAL.length;
var SVGNS = "http:/" + "/www.w3.org/2000/svg";
var app = document.getElementById("app");

// -- DOM helpers: text only ever goes in as text nodes or attributes ------------------
function add(n, c) {
  if (c == null || c === false) return;
  if (Array.isArray(c)) { for (var i = 0; i < c.length; i++) add(n, c[i]); return; }
  n.appendChild(typeof c === "object" ? c : document.createTextNode(String(c)));
}
function setAttrs(n, attrs) {
  if (!attrs) return;
  for (var k in attrs) {
    var v = attrs[k];
    if (v == null) continue;
    if (k.slice(0, 2) === "on") n.addEventListener(k.slice(2), v);
    else n.setAttribute(k, String(v));
  }
}
function el(tag, attrs) {
  var n = document.createElement(tag); setAttrs(n, attrs);
  for (var i = 2; i < arguments.length; i++) add(n, arguments[i]);
  return n;
}
function sv(tag, attrs) {
  var n = document.createElementNS(SVGNS, tag); setAttrs(n, attrs);
  for (var i = 2; i < arguments.length; i++) add(n, arguments[i]);
  return n;
}
function link(href, text) { return el("a", {href: href}, text); }
function fmt(x) { return x == null ? "" : Number(x).toFixed(3); }
function short(s, n) { s = String(s); return s.length > n ? s.slice(0, n - 1) + "\u2026" : s; }
function relTag(r) { return el("span", {"class": "rel rel-" + r}, r); }
// a document is named by its title when it has one (else its id); id, source and date go beside it
function docName(i) { var x = DOCS[i]; return x.title || x.id; }
function docLink(i) { return el("a", {href: "#doc/" + i, "class": "doc-name"}, docName(i)); }
function docDetails(i, withId) {
  var x = DOCS[i], bits = [];
  if (withId && x.title) bits.push(x.id);
  if (x.source) bits.push(x.source);
  if (x.date) bits.push(x.date.slice(0, 10));
  return bits.join(" \u00b7 ");
}
function docCell(i, plain) {  // the content of a table cell naming document i (plain: no link, the row is one)
  var sub = docDetails(i, true);
  return [plain ? el("span", {"class": "doc-name"}, docName(i)) : docLink(i), sub ? el("div", {"class": "sub"}, sub) : null];
}
function docTip(i) {  // the full description, for tooltips
  var x = DOCS[i];
  return (x.title ? x.title + "\n" : "") + x.id + (x.source ? "\n" + x.source : "") + (x.date ? "\n" + x.date : "");
}
// text widths for SVG labels (the same font as the CSS), so labels can be shortened to fit
var MEASURE = document.createElement("canvas").getContext("2d");
function textWidth(s, bold) { MEASURE.font = (bold ? "bold " : "") + "11px system-ui,sans-serif"; return MEASURE.measureText(s).width; }
function cut(s, n) {  // n characters of s: its beginning and its end, an ellipsis between (ids and titles differ at either)
  if (n >= s.length) return s;
  var tail = Math.floor(n * 0.4), head = n - tail;
  return s.slice(0, head) + "\u2026" + (tail ? s.slice(s.length - tail) : "");
}
function fit(s, w, bold) {  // s shortened (in the middle) to at most w pixels wide
  s = String(s);
  if (textWidth(s, bold) <= w) return s;
  var lo = 0, hi = s.length - 1;
  while (lo < hi) { var mid = (lo + hi + 1) >> 1; if (textWidth(cut(s, mid), bold) <= w) lo = mid; else hi = mid - 1; }
  return lo ? cut(s, lo) : "";
}
var ARROW = {"a->b": "A came first", "b->a": "B came first"};
function dirTag(p, names) {  // the direction of pair p, as a small tag (null without provenance)
  var w = p[9]; if (!w) return null;
  var known = w[0] === "a->b" || w[0] === "b->a";
  var what = known ? (names ? (w[0] === "a->b" ? names[0] : names[1]) + " first" : ARROW[w[0]]) : "unknown";
  return el("span", {"class": "dir" + (known ? "" : " dir-unknown"), title: known ? w[2] + " (confidence " + fmt(w[1]) + ")" : "no evidence of which came first"}, what);
}
function go(h) { if (location.hash === h) route(); else location.hash = h; }
function pager(page, pages, base, total, what) {
  return el("div", {"class": "pager"},
    el("button", {id: "prev-page", disabled: page <= 1 ? "" : null, onclick: function () { go(base + (page - 1)); }}, "\u2039 previous"),
    el("span", {id: "page-label"}, "page " + page + " of " + pages + " (" + total + " " + what + ")"),
    el("button", {id: "next-page", disabled: page >= pages ? "" : null, onclick: function () { go(base + (page + 1)); }}, "next \u203a"));
}

var ADJ = null;
function adjacency() {
  if (ADJ) return ADJ;
  ADJ = DOCS.map(function () { return []; });
  for (var i = 0; i < PAIRS.length; i++) { ADJ[PAIRS[i][0]].push(i); ADJ[PAIRS[i][1]].push(i); }
  return ADJ;
}
var FAM_OF = null;
function familyOf(d) {
  if (!FAM_OF) { FAM_OF = {}; FAMS.forEach(function (f, k) { f.m.forEach(function (m) { FAM_OF[m] = k; }); }); }
  return FAM_OF[d];
}

// -- overview ---------------------------------------------------------------------------
function viewOverview() {
  var c = D.summary.counts || {};
  function card(n, label) { return el("div", {"class": "card"}, el("b", null, n == null ? "-" : n), el("span", null, label)); }
  var rels = c.pairs_by_relation || {};
  add(app, [el("h2", null, "Overview"),
    el("div", {"class": "cards"}, card(c.documents, "documents"), card(c.pairs, "pairs"),
      RELS.filter(function (r) { return rels[r]; }).map(function (r) { return card(rels[r], r + " pairs"); }),
      card(c.clusters, "families"), card(c.clustered_documents, "documents in families"),
      card(c.largest_cluster, "largest family"), card(c.skipped, "records skipped")),
    notes()]);
  var metric = el("select", {id: "hist-metric"}, el("option", {value: "2"}, "Jaccard similarity"),
    el("option", {value: "max"}, "containment of the smaller"));
  var holder = el("div");
  metric.addEventListener("change", function () { holder.textContent = ""; add(holder, histogram(metric.value)); });
  add(holder, histogram("2"));
  add(app, [el("h3", null, "Pair similarities"), el("div", {"class": "tools"}, "measure:", metric,
    el("span", {"class": "note"}, "click a bar to list its pairs")), holder]);
  add(app, [el("h3", null, "Families by size"), familyTable(0, Math.min(FAMS.length, 15)),
    FAMS.length > 15 ? link("#families/1", "all " + FAMS.length + " families \u203a") : null]);
}
function notes() {
  var out = [];
  if (D.diff_limited) out.push(el("div", {"class": "warn"}, "Word changes were computed for the " + D.diffed +
    " most similar pairs only (of " + PAIRS.length + ", limit " + D.diff_limit + "); the other pairs show reused passages without change marks."));
  if (D.missing_texts) out.push(el("div", {"class": "warn"}, D.missing_texts + " document texts were not available; their pairs show scores only."));
  out.push(el("p", {"class": "note"}, "retold " + D.version + " \u00b7 " + DOCS.length + " documents with text in this report"));
  return out;
}
function metricOf(p, m) { return m === "max" ? Math.max(p[3], p[4]) : p[2]; }
function histogram(m) {
  // Rm: right margin, wide enough for half of the last x label ("1.00", centred on the last tick)
  var B = 20, W = 760, H = 220, L = 44, Rm = 28, T = 10, Bt = 34, bw = (W - L - Rm) / B;
  var counts = [], max = 1, i, r;
  for (i = 0; i < B; i++) { counts.push({}); RELS.forEach(function (r) { counts[i][r] = 0; }); }
  PAIRS.forEach(function (p) { var b = Math.min(B - 1, Math.floor(metricOf(p, m) * B)); counts[b][p[5]] = (counts[b][p[5]] || 0) + 1; });
  var tot = counts.map(function (c) { var s = 0; for (var k in c) s += c[k]; return s; });
  tot.forEach(function (t) { if (t > max) max = t; });
  var svg = sv("svg", {width: W, height: H + Bt, viewBox: "0 0 " + W + " " + (H + Bt), id: "histogram", role: "img"});
  add(svg, sv("title", null, "Histogram of pair similarities"));
  var ticks = Math.min(4, max);
  for (i = 0; i <= ticks; i++) {
    var y = T + (H - T) * (1 - i / ticks);
    add(svg, [sv("line", {x1: L, x2: W - Rm, y1: y, y2: y, stroke: "#e5e7eb"}),
      sv("text", {x: L - 6, y: y + 4, "text-anchor": "end"}, Math.round(max * i / ticks))]);
  }
  for (i = 0; i < B; i++) {
    var y0 = H, g = sv("g", {"class": "bar", "data-bin": i});
    (function (lo, hi) { g.addEventListener("click", function () { PL.lo = lo; PL.hi = hi; PL.metric = m; PL.key = null; go("#pairs/1"); }); })(i / B, (i + 1) / B);
    RELS.forEach(function (r) {
      var h = counts[i][r] / max * (H - T);
      if (h > 0) { add(g, sv("rect", {x: L + i * bw + 1, y: y0 - h, width: bw - 2, height: h, fill: REL_COLOR[r]})); y0 -= h; }
    });
    add(g, sv("rect", {x: L + i * bw, y: T, width: bw, height: H - T, fill: "transparent"}));
    add(g, sv("title", null, (i / B).toFixed(2) + "\u2013" + ((i + 1) / B).toFixed(2) + ": " + tot[i] + " pairs"));
    add(svg, g);
  }
  for (i = 0; i <= 4; i++) add(svg, sv("text", {x: L + i * (W - L - Rm) / 4, y: H + 14, "text-anchor": "middle", "class": "xtick"}, (i / 4).toFixed(2)));
  var lx = L;
  RELS.forEach(function (r) {
    add(svg, [sv("rect", {x: lx, y: H + 22, width: 10, height: 10, fill: REL_COLOR[r]}), sv("text", {x: lx + 14, y: H + 31}, r)]);
    lx += 90;
  });
  return svg;
}

// -- families ---------------------------------------------------------------------------
function dateRange(f) {
  var ds = f.m.map(function (d) { return DOCS[d].date; }).filter(Boolean).sort();
  return ds.length ? ds[0].slice(0, 10) + (ds.length > 1 && ds[ds.length - 1].slice(0, 10) !== ds[0].slice(0, 10) ? " \u2013 " + ds[ds.length - 1].slice(0, 10) : "") : "";
}
function familyTable(from, to) {
  var tb = el("tbody"), prov = D.provenance;
  for (var k = from; k < to; k++) {
    var f = FAMS[k];
    (function (k) {
      add(tb, el("tr", {"class": "row", onclick: function () { go("#family/" + k); }},
        el("td", null, link("#family/" + k, "family " + f.c)), el("td", {"class": "num"}, f.m.length),
        el("td", {"class": "id"}, docCell(f.rep, true)), prov ? el("td", {"class": "id"}, f.o != null ? docCell(f.o, true) : "") : null,
        el("td", null, dateRange(f))));
    })(k);
  }
  return el("table", {id: "families"}, el("thead", null, el("tr", null, el("th", null, "family"),
    el("th", {"class": "num"}, "members"), el("th", null, "representative"), prov ? el("th", null, "probable origin") : null,
    el("th", null, "dates"))), tb);
}
function viewFamilies(page) {
  var pages = Math.max(1, Math.ceil(FAMS.length / PAGE)); page = Math.min(Math.max(1, page), pages);
  add(app, [el("h2", null, "Families (" + FAMS.length + ")"), el("p", {"class": "note"}, "Sorted by size."),
    pager(page, pages, "#families/", FAMS.length, "families"), familyTable((page - 1) * PAGE, Math.min(FAMS.length, page * PAGE))]);
}
function viewFamily(k) {
  var f = FAMS[k]; if (!f) return notFound();
  var mem = f.m.slice().sort(function (x, y) { var a = DOCS[x].date || "\uffff", b = DOCS[y].date || "\uffff"; return a < b ? -1 : a > b ? 1 : x - y; });
  var parent = {}; (f.l || []).forEach(function (e) { parent[e[1]] = e; });
  var tb = el("tbody");
  mem.forEach(function (d) {
    var x = DOCS[d], e = parent[d];
    add(tb, el("tr", {"data-doc": d}, el("td", {"class": "id"}, docLink(d), d === f.rep ? " (representative)" : null,
        d === f.o ? [" ", el("span", {"class": "tag-origin"}, "origin")] : null, x.title ? el("div", {"class": "sub"}, x.id) : null),
      el("td", null, x.date || ""), el("td", null, x.source || ""), el("td", {"class": "num"}, x.chars),
      f.l ? el("td", null, e ? [docLink(e[0]), el("div", {"class": "sub"}, e[2] > 0 ? "confidence " + fmt(e[2]) : "no evidence")] : "") : null,
      el("td", {"class": "id"}, x.origin || "")));
  });
  var inside = {}; f.m.forEach(function (d) { inside[d] = true; });
  var ps = []; var seen = {}; var A = adjacency();
  f.m.forEach(function (d) { A[d].forEach(function (i) { var p = PAIRS[i]; if (!seen[i] && inside[p[0]] && inside[p[1]]) { seen[i] = 1; ps.push(i); } }); });
  ps.sort(function (x, y) { return x - y; });
  add(app, [el("h2", null, "Family " + f.c + " \u00b7 " + f.m.length + " members"),
    el("p", {"class": "note"}, "Representative: ", docLink(f.rep), ". ", dateRange(f)),
    f.o != null ? el("p", {"class": "note"}, "Probable origin: ", docLink(f.o), ".") : null,
    el("h3", null, "Who shares text with whom"), familyGraph(f, ps),
    f.l ? [el("h3", null, "Lineage: who probably derives from whom"), lineageGraph(f)] : null,
    el("h3", null, "Members"), el("table", {id: "members"}, el("thead", null, el("tr", null, el("th", null, "document"),
      el("th", null, "date"), el("th", null, "source"), el("th", {"class": "num"}, "chars"), f.l ? el("th", null, "derived from") : null,
      el("th", null, "read from"))), tb),
    el("h3", null, "Pairs in this family (" + ps.length + ")"), pairTable(ps.slice(0, 500)),
    ps.length > 500 ? el("p", {"class": "note"}, "first 500 shown") : null]);
}
// spread label baselines ys (sorted, by index) at least gap apart within [top, bottom]
function spread(items, gap, top, bottom) {
  items.sort(function (a, b) { return a.y - b.y || a.d - b.d; });
  var i, n = items.length;
  for (i = 0; i < n; i++) items[i].ly = Math.max(items[i].y, top, i ? items[i - 1].ly + gap : top);
  if (n && items[n - 1].ly > bottom) {
    items[n - 1].ly = bottom;
    for (i = n - 2; i >= 0; i--) items[i].ly = Math.min(items[i].ly, items[i + 1].ly - gap);
  }
}
function familyGraph(f, ps) {
  // Labels never overlap: with dates, one row per member (ordered by date) and its label beside it;
  // without, a circle with the labels in two columns beside it, spread apart, joined to their nodes.
  var LIM = 300, LABELS = 40, mem = f.m.slice(0, LIM), W = 900, pad = 40, pos = {}, lab = {}, i;
  var labels = mem.length <= LABELS, RH = 20, LH = 16, MAXW = 480;
  var times = mem.map(function (d) { var t = DOCS[d].date ? Date.parse(DOCS[d].date) : NaN; return t; });
  var dated = times.filter(function (t) { return !isNaN(t); });
  var tmin = Math.min.apply(null, dated), tmax = Math.max.apply(null, dated);
  var timeline = dated.length >= 2 && tmax > tmin;
  var H = timeline ? (labels ? 56 + mem.length * RH : 380) : (labels ? Math.max(380, 40 + Math.ceil(mem.length / 2) * LH) : 380);
  var svg = sv("svg", {width: W, height: H, viewBox: "0 0 " + W + " " + H, id: "family-graph", role: "img"});
  add(svg, sv("title", null, timeline ? "Timeline: members by date, lines join documents that share text" : "Members in a circle, lines join documents that share text"));
  if (timeline) {
    var right = W - pad - 90;
    var order = mem.map(function (d, j) { return j; }).sort(function (x, y) { return (isNaN(times[x]) ? Infinity : times[x]) - (isNaN(times[y]) ? Infinity : times[y]) || mem[x] - mem[y]; });
    var lanes = labels ? mem.length : Math.min(8, Math.max(1, mem.length));
    order.forEach(function (j, r) {
      var t = times[j], x = isNaN(t) ? W - pad - 30 : pad + (t - tmin) / (tmax - tmin) * (right - pad);
      pos[mem[j]] = [x, labels ? 20 + r * RH : 40 + (r % lanes) * ((H - 90) / Math.max(1, lanes - 1 || 1))];
      if (labels) {  // beside its node, on the side with room for it (the right one if both have)
        var room = W - x - 16, need = Math.min(MAXW, textWidth(docName(mem[j]))), left = room < need && x - 16 > room;
        lab[mem[j]] = {x: left ? x - 11 : x + 11, y: pos[mem[j]][1] + 4, anchor: left ? "end" : "start", w: Math.min(MAXW, left ? x - 16 : room)};
      }
    });
    add(svg, [sv("line", {x1: pad, x2: right, y1: H - 24, y2: H - 24, stroke: "#999"}),
      sv("text", {x: pad, y: H - 8}, new Date(tmin).toISOString().slice(0, 10)),
      sv("text", {x: right, y: H - 8, "text-anchor": "end"}, new Date(tmax).toISOString().slice(0, 10)),
      dated.length < mem.length ? sv("text", {x: W - pad - 30, y: H - 8, "text-anchor": "middle"}, "undated") : null]);
  } else {
    var R = Math.min(150, H / 2 - pad), cx = W / 2, cy = H / 2, sides = [[], []];
    mem.forEach(function (d, j) {
      var a = 2 * Math.PI * j / mem.length - Math.PI / 2, x = cx + R * Math.cos(a), y = cy + R * Math.sin(a);
      pos[d] = [x, y];
      sides[x >= cx - 0.001 ? 0 : 1].push({d: d, y: y + 4});
    });
    if (labels) sides.forEach(function (items, s) {
      spread(items, LH, 14, H - 6);
      items.forEach(function (it) {
        lab[it.d] = {x: s ? cx - R - 22 : cx + R + 22, y: it.ly, anchor: s ? "end" : "start", w: W / 2 - R - 30};
        var q = pos[it.d];
        add(svg, sv("line", {x1: q[0], y1: q[1], x2: s ? cx - R - 19 : cx + R + 19, y2: it.ly - 4, stroke: "#c7ccd1", "stroke-width": 1, "class": "leader"}));
      });
    });
  }
  var drawn = 0;
  ps.forEach(function (pi) {
    var p = PAIRS[pi], s = pos[p[0]], t = pos[p[1]];
    if (!s || !t || drawn++ > 3000) return;
    var mx = (s[0] + t[0]) / 2 + (t[1] - s[1]) * 0.15, my = (s[1] + t[1]) / 2 - (t[0] - s[0]) * 0.15;
    mx = Math.min(Math.max(mx, 4), W - 4); my = Math.min(Math.max(my, 4), H - 30);  // the curve stays inside
    add(svg, sv("path", {"class": "edge", d: "M" + s[0] + " " + s[1] + "Q" + mx + " " + my + " " + t[0] + " " + t[1], fill: "none", stroke: REL_COLOR[p[5]] || "#888",
      "stroke-opacity": 0.55, "stroke-width": 1 + 4 * p[2], onclick: function () { go("#pair/" + pi); }},
      sv("title", null, docName(p[0]) + " \u2194 " + docName(p[1]) + ": " + p[5] + ", jaccard " + fmt(p[2]))));
  });
  mem.forEach(function (d) {
    var q = pos[d], rep = d === f.rep, L = lab[d];
    add(svg, sv("g", {"class": "node", "data-doc": d, onclick: function () { go("#doc/" + d); }},
      sv("circle", {cx: q[0], cy: q[1], r: rep ? 9 : 6, fill: rep ? "#111" : "#fff", stroke: "#111", "stroke-width": 2}),
      L ? sv("text", {"class": "label", x: L.x, y: L.y, "text-anchor": L.anchor}, fit(docName(d), L.w)) : null,
      sv("title", null, docTip(d) + (rep ? "\n(representative)" : ""))));
  });
  var out = [svg];
  if (f.m.length > LIM) out.push(el("p", {"class": "note"}, "graph shows the first " + LIM + " of " + f.m.length + " members"));
  return out;
}
function lineageGraph(f) {
  // an indented tree: the origin on top, each member one row below its parent, edges parent -> child
  if (f.o == null || !f.l) return null;
  var LIM = 300, RH = 22, IND = 24, W = 900, kids = {}, conf = {}, par = {}, order = [], depth = {}, seen = {};
  f.l.forEach(function (e) { (kids[e[0]] = kids[e[0]] || []).push(e[1]); par[e[1]] = e[0]; conf[e[1]] = e[2]; });
  function byDate(x, y) { var a = DOCS[x].date || "\uffff", b = DOCS[y].date || "\uffff"; return a < b ? -1 : a > b ? 1 : x - y; }
  var stack = [[f.o, 0]];
  while (stack.length) {  // depth first, without recursion
    var top = stack.pop(), d = top[0];
    if (seen[d]) continue;
    seen[d] = 1; depth[d] = top[1]; order.push(d);
    (kids[d] || []).slice().sort(byDate).reverse().forEach(function (c) { if (!seen[c]) stack.push([c, top[1] + 1]); });
    if (!stack.length) f.m.slice().sort(byDate).some(function (m) { if (!seen[m]) { stack.push([m, 1]); return true; } return false; });
  }
  var rows = order.slice(0, LIM), pos = {};
  var H = 16 + rows.length * RH;
  var svg = sv("svg", {width: W, height: H, viewBox: "0 0 " + W + " " + H, id: "lineage-graph", role: "img"},
    sv("title", null, "Lineage: the probable origin on top, each member below the member it probably derives from"));
  rows.forEach(function (d, r) { pos[d] = [14 + Math.min(depth[d], 20) * IND, 14 + r * RH]; });
  rows.forEach(function (d) {
    var p = par[d]; if (p == null || !pos[p]) return;
    var a = pos[p], b = pos[d], c = conf[d], x = b[0] - 8;
    add(svg, sv("g", {"class": "ledge", "data-parent": p, "data-child": d},
      sv("path", {d: "M" + a[0] + " " + (a[1] + (b[1] > a[1] ? 6 : -6)) + "V" + b[1] + "H" + x, fill: "none", stroke: c > 0 ? "#374151" : "#9ca3af",
        "stroke-width": c > 0 ? 1 + c : 1, "stroke-dasharray": c > 0 ? null : "3 3"}),
      sv("polygon", {points: x + "," + b[1] + " " + (x - 6) + "," + (b[1] - 4) + " " + (x - 6) + "," + (b[1] + 4), fill: c > 0 ? "#374151" : "#9ca3af"}),
      sv("title", null, docName(p) + " \u2192 " + docName(d) + (c > 0 ? ": derived, confidence " + fmt(c) : ": no evidence of direction"))));
  });
  rows.forEach(function (d) {
    var q = pos[d], origin = d === f.o, x = DOCS[d], tx = q[0] + 12, room = W - tx - 8;
    var head = origin ? "origin: " : "", more = [x.date ? x.date.slice(0, 10) : null, x.source, origin ? null : (conf[d] > 0 ? "confidence " + fmt(conf[d]) : "no evidence")]
      .filter(Boolean).join(" \u00b7 ");
    var hw = head ? textWidth(head, true) : 0, name = fit(docName(d), Math.max(40, Math.min(520, room - hw - 40)));
    var rest = more ? fit("  " + more, Math.max(0, room - hw - textWidth(name) - 4)) : "";
    add(svg, sv("g", {"class": "lnode" + (origin ? " origin" : ""), "data-doc": d, onclick: function () { go("#doc/" + d); }},
      sv("circle", {cx: q[0], cy: q[1], r: origin ? 7 : 5, fill: origin ? "#b91c1c" : "#fff", stroke: origin ? "#7f1d1d" : "#374151", "stroke-width": 2}),
      sv("text", {"class": "label", x: tx, y: q[1] + 4}, head ? sv("tspan", {"class": "strong"}, head) : null, name,
        rest ? sv("tspan", {"class": "muted"}, rest) : null),
      sv("title", null, docTip(d))));
  });
  var out = [svg];
  if (order.length > LIM) out.push(el("p", {"class": "note"}, "lineage shows the first " + LIM + " of " + order.length + " members"));
  return out;
}

// -- pair list --------------------------------------------------------------------------
var PL = {q: "", rel: "", sort: "sim", lo: null, hi: null, metric: "2", key: null, sel: null};
function selection() {
  var key = [PL.q, PL.rel, PL.sort, PL.lo, PL.hi, PL.metric].join("|");
  if (PL.key === key) return PL.sel;
  var q = PL.q.toLowerCase(), sel = [];
  for (var i = 0; i < PAIRS.length; i++) {
    var p = PAIRS[i];
    if (PL.rel && p[5] !== PL.rel) continue;
    if (PL.lo != null) { var v = metricOf(p, PL.metric); if (v < PL.lo || (v >= PL.hi && PL.hi < 1)) continue; }
    if (q && !matches(p[0], q) && !matches(p[1], q)) continue;
    sel.push(i);
  }
  var by = {cont: function (i) { return -Math.max(PAIRS[i][3], PAIRS[i][4]); }, len: function (i) { return -aligned(PAIRS[i]); },
            id: null}[PL.sort];
  if (PL.sort === "id") sel.sort(function (x, y) { var a = DOCS[PAIRS[x][0]].id + "\u0000" + DOCS[PAIRS[x][1]].id, b = DOCS[PAIRS[y][0]].id + "\u0000" + DOCS[PAIRS[y][1]].id; return a < b ? -1 : a > b ? 1 : 0; });
  else if (by) sel.sort(function (x, y) { return by(x) - by(y) || x - y; });
  PL.key = key; PL.sel = sel;
  return sel;
}
function matches(d, q) {
  var x = DOCS[d];
  return [x.id, x.title, x.source].some(function (s) { return s && s.toLowerCase().indexOf(q) >= 0; });
}
function aligned(p) { var s = 0; (p[7] || []).forEach(function (x) { s += x[1] - x[0]; }); return s; }
function pairTable(idx) {
  var tb = el("tbody"), prov = D.provenance;
  idx.forEach(function (i) {
    var p = PAIRS[i];
    add(tb, el("tr", {"class": "row", "data-pair": i, onclick: function () { go("#pair/" + i); }},
      el("td", {"class": "num"}, link("#pair/" + i, i + 1)), el("td", {"class": "id doc-a"}, docCell(p[0], true)), el("td", {"class": "id doc-b"}, docCell(p[1], true)),
      el("td", null, relTag(p[5])), prov ? el("td", null, dirTag(p, ["A", "B"])) : null, el("td", {"class": "num"}, fmt(p[2])), el("td", {"class": "num"}, fmt(p[3])),
      el("td", {"class": "num"}, fmt(p[4])), el("td", {"class": "num"}, p[7] ? p[7].length : "")));
  });
  return el("table", {id: "pairs"}, el("thead", null, el("tr", null, el("th", {"class": "num"}, "#"), el("th", null, "A"), el("th", null, "B"),
    el("th", null, "relation"), prov ? el("th", null, "direction") : null, el("th", {"class": "num"}, "jaccard"), el("th", {"class": "num"}, "cont. A"),
    el("th", {"class": "num"}, "cont. B"), el("th", {"class": "num"}, "passages"))), tb);
}
function viewPairs(page) {
  var sel = selection(), pages = Math.max(1, Math.ceil(sel.length / PAGE));
  page = Math.min(Math.max(1, page || 1), pages);
  var q = el("input", {id: "pair-filter", type: "search", placeholder: "filter by id, title or source", value: PL.q});
  q.addEventListener("change", function () { PL.q = q.value; go("#pairs/1"); });
  var rel = el("select", {id: "pair-relation"}, el("option", {value: ""}, "all relations"),
    RELS.map(function (r) { return el("option", {value: r, selected: PL.rel === r ? "" : null}, r); }));
  rel.addEventListener("change", function () { PL.rel = rel.value; go("#pairs/1"); });
  var sort = el("select", {id: "pair-sort"}, [["sim", "most similar (jaccard)"], ["cont", "highest containment"], ["len", "most aligned text"], ["id", "by id"]]
    .map(function (o) { return el("option", {value: o[0], selected: PL.sort === o[0] ? "" : null}, o[1]); }));
  sort.addEventListener("change", function () { PL.sort = sort.value; go("#pairs/1"); });
  var range = PL.lo != null ? el("span", {"class": "chip"}, (PL.metric === "max" ? "containment " : "jaccard ") + PL.lo.toFixed(2) + "\u2013" + PL.hi.toFixed(2) + " ",
    el("button", {onclick: function () { PL.lo = PL.hi = null; go("#pairs/1"); }}, "\u00d7")) : null;
  add(app, [el("h2", null, "Pairs"), el("div", {"class": "tools"}, q, rel, sort, range),
    pager(page, pages, "#pairs/", sel.length, "pairs"), pairTable(sel.slice((page - 1) * PAGE, page * PAGE)),
    pager(page, pages, "#pairs/", sel.length, "pairs")]);
  var bottom = app.querySelectorAll(".pager")[1];
  bottom.querySelectorAll("[id]").forEach(function (n) { n.removeAttribute("id"); });
}

// -- one document -----------------------------------------------------------------------
function viewDoc(d) {
  var x = DOCS[d]; if (!x) return notFound();
  var mine = adjacency()[d].slice(0, 500), fam = familyOf(d);
  var f = fam != null ? FAMS[fam] : null, up = null;
  if (f && f.l) f.l.forEach(function (e) { if (e[1] === d) up = e; });
  add(app, [el("h2", {id: "doc-title"}, docName(d)), x.title ? el("p", {"class": "sub"}, x.id) : null, metaTable([d]),
    f ? el("p", null, "Member of ", link("#family/" + fam, "family " + f.c), ".",
      f.o === d ? [" ", el("span", {"class": "tag-origin"}, "origin"), " its probable origin."] : null,
      up ? [" Probably derived from ", docLink(up[0]), up[2] > 0 ? " (confidence " + fmt(up[2]) + ")." : " (no evidence of direction)."] : null) : null,
    el("h3", null, "Pairs (" + adjacency()[d].length + ")"), pairTable(mine),
    x.attr ? attrTable(x) : null,
    el("h3", null, "Text"), textSide(x, [], [], "doc")]);
}
function attrTable(x) {
  if (!x.attr.length) return el("p", {"class": "note", id: "attributions"}, "This text credits no source that retold recognises.");
  return [el("h3", null, "Sources credited (" + x.attr.length + ")"), el("table", {id: "attributions"},
    el("thead", null, el("tr", null, el("th", null, "source"), el("th", null, "how"), el("th", null, "as written"), el("th", {"class": "num"}, "at"))),
    el("tbody", null, x.attr.map(function (a, k) {
      return el("tr", {"class": "row", onclick: function () { var m = app.querySelector('#text-doc mark.attr[data-a="' + k + '"]'); if (m) m.scrollIntoView({block: "center"}); }},
        el("td", null, a[2]), el("td", null, a[3]), el("td", null, x.text ? x.text.slice(a[0], a[1]) : ""), el("td", {"class": "num"}, a[0] + "\u2013" + a[1]));
    })))];
}
function metaTable(ds) {  // ds: document indexes
  return el("table", {"class": "meta"}, el("thead", null, el("tr", null, el("th", null, ""), el("th", null, "title"), el("th", null, "id"),
    el("th", null, "date"), el("th", null, "source"), el("th", {"class": "num"}, "chars"), el("th", null, "read from"))),
    el("tbody", null, ds.map(function (d, k) {
      var x = DOCS[d];
      return el("tr", {"data-doc": d}, el("td", null, ds.length > 1 ? "AB"[k] : ""), el("td", null, x.title ? link("#doc/" + d, x.title) : ""),
        el("td", {"class": "id"}, link("#doc/" + d, x.id)), el("td", null, x.date || ""), el("td", null, x.source || ""),
        el("td", {"class": "num"}, x.chars), el("td", {"class": "id"}, x.origin || ""));
    })));
}

// -- one pair ---------------------------------------------------------------------------
function viewPair(i) {
  var p = PAIRS[i]; if (!p) return notFound();
  var A = DOCS[p[0]], B = DOCS[p[1]], pas = p[7] || [], ops = p[8];
  var ma = [], mb = [];
  (ops || []).forEach(function (o) {
    var c = o[0], as = o[1], ae = o[2], bs = o[3], be = o[4];
    var ta = A.text ? A.text.slice(as, ae) : "", tb = B.text ? B.text.slice(bs, be) : "";
    if (c === 1) { ma.push([as, ae, "rep", "replaced in B by: " + short(tb, 200)]); mb.push([bs, be, "rep", "replaces in A: " + short(ta, 200)]); }
    else if (c === 2) { mb.push([bs, be, "ins", "inserted: not in A"]); ma.push([as, as, "gap-ins", "B inserts here: " + short(tb, 200)]); }
    else if (c === 3) { ma.push([as, ae, "del", "deleted: not in B"]); mb.push([bs, bs, "gap-del", "A has here: " + short(ta, 200)]); }
    else if (c === 4) { ma.push([as, ae, "mov", "moved: in B elsewhere"]); mb.push([bs, be, "mov", "moved: in A elsewhere"]); }
  });
  function byStart(x, y) { return x[0] - y[0] || (x[1] - x[0]) - (y[1] - y[0]); }
  ma.sort(byStart); mb.sort(byStart);
  var sideA = textSide(A, pas.map(function (x, k) { return [x[0], x[1], k]; }), ma, "a");
  var sideB = textSide(B, pas.map(function (x, k) { return [x[2], x[3], k]; }), mb, "b");
  function link2(side, other) {
    side.addEventListener("mouseover", function (e) { hot(e, true); });
    side.addEventListener("mouseout", function (e) { hot(e, false); });
    side.addEventListener("click", function (e) {
      var t = e.target.closest(".pas"); if (!t) return;
      var o = other.querySelector('.pas[data-p="' + t.getAttribute("data-p") + '"]');
      if (o) o.scrollIntoView({block: "nearest", inline: "nearest"});
    });
  }
  function hot(e, on) {
    var t = e.target.closest(".pas"); if (!t) return;
    app.querySelectorAll('.pas[data-p="' + t.getAttribute("data-p") + '"]').forEach(function (n) { n.classList.toggle("hot", on); });
  }
  link2(sideA, sideB); link2(sideB, sideA);
  var warn = null;
  if (A.text == null || B.text == null) warn = el("div", {"class": "warn"}, "The text of " + (A.text == null ? A.id : B.id) + " is not in this report.");
  else if (ops == null) warn = el("div", {"class": "warn"}, "Word changes were not computed for this pair (the report computes them for the " + D.diffed + " most similar pairs only); reused passages are shown.");
  add(app, [el("div", {"class": "pager"}, link("#pairs/1", "\u2039 all pairs"),
      el("button", {id: "prev-pair", disabled: i <= 0 ? "" : null, onclick: function () { go("#pair/" + (i - 1)); }}, "previous pair"),
      el("button", {id: "next-pair", disabled: i >= PAIRS.length - 1 ? "" : null, onclick: function () { go("#pair/" + (i + 1)); }}, "next pair")),
    el("div", {"class": "pairhead"}, el("div", {"class": "meta"},
      el("h2", null, "Pair " + (i + 1) + " of " + PAIRS.length + " ", relTag(p[5])),
      el("p", null, "jaccard ", el("b", null, fmt(p[2])), " \u00b7 containment of A in B ", el("b", null, fmt(p[3])),
        " \u00b7 of B in A ", el("b", null, fmt(p[4])), " \u00b7 shared shingles ", el("b", null, p[6]),
        " \u00b7 ", el("b", null, pas.length), " reused passage" + (pas.length === 1 ? "" : "s")),
      direction(p), metaTable([p[0], p[1]]), warn, legend(pas.length, A.attr || B.attr)),
      el("div", null, dotplot(p, A, B))),
    el("div", {"class": "sides"}, el("div", {"class": "side"}, el("h3", null, "A: ", docName(p[0])), sideA),
      el("div", {"class": "side"}, el("h3", null, "B: ", docName(p[1])), sideB)),
    passageTable(p, A, B)]);
}
function direction(p) {
  var w = p[9]; if (!w) return null;
  var known = w[0] === "a->b" || w[0] === "b->a";
  return el("p", {id: "direction"}, "Which came first: ", dirTag(p),
    known ? [" \u00b7 evidence: ", el("b", null, w[2]), " \u00b7 confidence ", el("b", null, fmt(w[1]))] : " (retold does not guess without evidence)");
}
function legend(n, attrs) {
  var sw = [];
  for (var k = 0; k < Math.min(n, NPAL); k++) sw.push(el("span", {"class": "sw c" + k}));
  return el("div", {"class": "legend"}, el("span", null, sw, " reused passage (same colour on both sides; click to find it in the other text)"),
    el("mark", {"class": "chg rep"}, "replaced"), el("ins", {"class": "chg ins"}, "inserted"), el("del", {"class": "chg del"}, "deleted"),
    el("span", {"class": "chg mov"}, "moved"), el("span", null, el("span", {"class": "gap gap-ins"}), "/", el("span", {"class": "gap gap-del"}), " where the other text has more"),
    attrs ? el("mark", {"class": "attr"}, "credited source") : null);
}
function textSide(doc, spans, marks, side) {
  var box = el("div", {"class": "text", id: "text-" + side});
  if (doc.text == null) { box.classList.add("missing"); add(box, "(text not available)"); return box; }
  var t = doc.text, mi = 0, cur = 0, at = doc.attr || [];
  spans.sort(function (x, y) { return x[0] - y[0]; });
  function leaf(parent, s, e) {  // text s..e, its credited sources marked (attributions, sorted by start)
    var pos = s;
    for (var k = 0; k < at.length && at[k][0] < e; k++) {
      var as = Math.max(at[k][0], pos), ae = Math.min(at[k][1], e);
      if (ae <= as) continue;
      if (as > pos) add(parent, t.slice(pos, as));
      add(parent, el("mark", {"class": "attr", "data-a": k, title: "credits " + at[k][2] + " (" + at[k][3] + ")"}, t.slice(as, ae)));
      pos = ae;
    }
    if (pos < e) add(parent, t.slice(pos, e));
  }
  function paint(parent, s, e, last) {
    var pos = s;
    while (mi < marks.length) {
      var k = marks[mi], ks = k[0], ke = k[1];
      if (ks > e || (ks === e && !(last && ke === ks))) break;
      if (ks === ke) {
        if (ks >= pos) { if (ks > pos) leaf(parent, pos, ks); pos = ks; add(parent, el("span", {"class": "gap " + k[2], title: k[3]})); }
        mi++; continue;
      }
      if (ke <= s) { mi++; continue; }
      var cs = Math.max(ks, pos), ce = Math.min(ke, e);
      if (cs > pos) leaf(parent, pos, cs);
      var tag = k[2] === "ins" ? "ins" : k[2] === "del" ? "del" : k[2] === "rep" ? "mark" : "span";
      if (ce > cs) { var m = el(tag, {"class": "chg " + k[2], title: k[3]}); leaf(m, cs, ce); add(parent, m); }
      pos = Math.max(pos, ce);
      if (ke <= e) mi++; else break;
    }
    if (pos < e) leaf(parent, pos, e);
  }
  spans.forEach(function (sp) {
    var s = Math.max(sp[0], cur), e = Math.min(sp[1], t.length);
    if (e <= s) return;
    paint(box, cur, s, false);
    var span = el("span", {"class": "pas c" + (sp[2] % NPAL), "data-p": sp[2], title: "passage " + (sp[2] + 1)});
    paint(span, s, e, false);
    add(box, span); cur = e;
  });
  paint(box, cur, t.length, true);
  return box;
}
function dotplot(p, A, B) {
  var S = 220, L = 34, T = 10, la = Math.max(1, A.text ? A.text.length : A.chars), lb = Math.max(1, B.text ? B.text.length : B.chars);
  var svg = sv("svg", {width: S + L + 10, height: S + T + 30, id: "dotplot", role: "img"},
    sv("title", null, "Dot-plot: each line is a reused passage (x: position in A, y: position in B)"),
    sv("rect", {x: L, y: T, width: S, height: S, fill: "#fafafa", stroke: "#999"}),
    sv("text", {x: L + S / 2, y: T + S + 16, "text-anchor": "middle"}, "A (" + A.chars + " chars)"),
    sv("text", {x: 12, y: T + S / 2, "text-anchor": "middle", transform: "rotate(-90 12 " + (T + S / 2) + ")"}, "B (" + B.chars + " chars)"));
  (p[8] || []).forEach(function (o) {
    if (o[0] !== 4) return;
    add(svg, sv("line", {x1: L + o[1] / la * S, y1: T + o[3] / lb * S, x2: L + o[2] / la * S, y2: T + o[4] / lb * S,
      stroke: "#7c3aed", "stroke-width": 2, "stroke-dasharray": "3 2"}, sv("title", null, "moved")));
  });
  (p[7] || []).forEach(function (x, k) {
    add(svg, sv("line", {x1: L + x[0] / la * S, y1: T + x[2] / lb * S, x2: L + Math.max(x[1], x[0] + 1) / la * S, y2: T + Math.max(x[3], x[2] + 1) / lb * S,
      stroke: PAL[k % NPAL], "stroke-width": 3, "stroke-linecap": "round", "class": "dp-passage"},
      sv("title", null, "passage " + (k + 1) + ": A " + x[0] + "\u2013" + x[1] + ", B " + x[2] + "\u2013" + x[3] + ", score " + fmt(x[4]))));
  });
  return el("div", null, svg, el("div", {"class": "note"}, "dot-plot of the aligned passages"));
}
function passageTable(p, A, B) {
  var pas = p[7] || [];
  if (!pas.length) return el("p", {"class": "note"}, "No aligned passages.");
  return [el("h3", null, "Passages"), el("table", {id: "passages"}, el("thead", null, el("tr", null, el("th", null, "#"),
    el("th", {"class": "num"}, "A from\u2013to"), el("th", {"class": "num"}, "B from\u2013to"), el("th", {"class": "num"}, "score"), el("th", null, "begins"))),
    el("tbody", null, pas.map(function (x, k) {
      return el("tr", null, el("td", null, el("span", {"class": "sw c" + (k % NPAL)}), k + 1), el("td", {"class": "num"}, x[0] + "\u2013" + x[1]),
        el("td", {"class": "num"}, x[2] + "\u2013" + x[3]), el("td", {"class": "num"}, fmt(x[4])), el("td", null, A.text ? short(A.text.slice(x[0], x[1]), 90) : ""));
    })))];
}

function notFound() { add(app, el("p", null, "Nothing here. ", link("#overview", "Back to the overview"), ".")); }

function route() {
  var h = (location.hash || "#overview").slice(1).split("/"), n = parseInt(h[1], 10);
  app.textContent = "";
  document.querySelectorAll("header nav a").forEach(function (a) {
    a.classList.toggle("on", a.getAttribute("href").slice(1).replace(/s$/, "") === h[0].replace(/s$/, ""));
  });
  if (h[0] === "pairs") viewPairs(n || 1);
  else if (h[0] === "pair") viewPair(n);
  else if (h[0] === "families") viewFamilies(n || 1);
  else if (h[0] === "family") viewFamily(n);
  else if (h[0] === "doc") viewDoc(n);
  else viewOverview();
  window.scrollTo(0, 0);
  document.body.setAttribute("data-view", h[0] || "overview");
}
window.addEventListener("hashchange", route);
route();
})();
"""

assert "</" + "script" not in JS.lower()

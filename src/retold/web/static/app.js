// retold serve: the family graph, drawn from /api/families/{id}.
// Text goes into the page only as text nodes (textContent), never as markup.
"use strict";
(function () {
  var SVG = "http://www.w3.org/2000/svg";
  function el(name, attrs, parent) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, String(attrs[k])); });
    if (parent) parent.appendChild(node);
    return node;
  }
  function docUrl(id) {
    return id === "." || id === ".." ? "/document?id=" + encodeURIComponent(id) : "/documents/" + encodeURIComponent(id);
  }
  function time(d) {
    if (!d) return NaN;
    var t = Date.parse(d);
    return isNaN(t) ? NaN : t;
  }
  function short(s, n) { return s.length > n ? s.slice(0, n - 1) + "…" : s; }

  function draw(box, fam) {
    var members = fam.members, n = members.length;
    var W = 900, H = Math.max(260, Math.min(600, 120 + 30 * n));
    var times = members.map(function (m) { return time(m.date); });
    var dated = times.filter(function (t) { return !isNaN(t); });
    var lo = Math.min.apply(null, dated), hi = Math.max.apply(null, dated);
    var timeline = dated.length >= 2 && hi > lo;
    var pos = {};
    members.forEach(function (m, i) {
      if (timeline) {
        var t = isNaN(times[i]) ? hi : times[i];
        pos[m.id] = { x: 80 + (W - 360) * (t - lo) / (hi - lo), y: 50 + (H - 100) * (n > 1 ? i / (n - 1) : 0.5) };
      } else {
        var a = 2 * Math.PI * i / n - Math.PI / 2, r = n > 1 ? Math.min(W, H) / 2 - 60 : 0;
        pos[m.id] = { x: W / 2 + r * Math.cos(a), y: H / 2 + r * Math.sin(a) };
      }
    });
    while (box.firstChild) box.removeChild(box.firstChild);
    var svg = el("svg", { viewBox: "0 0 " + W + " " + H, width: W, height: H, role: "img", id: "family-graph" }, box);
    var defs = el("defs", {}, svg);
    var marker = el("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 20, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto" }, defs);
    el("path", { d: "M0,0 L10,5 L0,10 z", fill: "#2457c5" }, marker);
    if (timeline) {
      el("line", { x1: 60, y1: H - 20, x2: W - 260, y2: H - 20, "class": "axis" }, svg);
      [lo, hi].forEach(function (t, k) {
        var label = el("text", { x: k ? W - 320 : 60, y: H - 5 }, svg);
        label.textContent = new Date(t).toISOString().slice(0, 10);
      });
    }
    fam.pairs.forEach(function (p) {
      var a = pos[p.a], b = pos[p.b];
      if (!a || !b) return;
      var line = el("line", { x1: a.x, y1: a.y, x2: b.x, y2: b.y, "class": "pair", "stroke-width": 1 + 4 * p.jaccard }, svg);
      el("title", {}, line).textContent = p.a + " — " + p.b + ": " + p.relation + ", Jaccard " + p.jaccard;
    });
    fam.lineage.forEach(function (e) {
      var a = pos[e.parent], b = pos[e.child];
      if (!a || !b || !e.confidence) return;
      el("line", { x1: a.x, y1: a.y, x2: b.x, y2: b.y, "class": "lineage", "marker-end": "url(#arrow)" }, svg);
    });
    members.forEach(function (m) {
      var p = pos[m.id];
      var link = el("a", { href: docUrl(m.id) }, svg);
      var c = el("circle", { cx: p.x, cy: p.y, r: m.representative ? 11 : 8, "class": m.representative ? "node rep" : "node" }, link);
      el("title", {}, c).textContent = m.id + (m.title ? " — " + m.title : "") + (m.date ? " (" + m.date + ")" : "");
      var label = el("text", { x: p.x + 14, y: p.y + 4, "class": "label" }, link);
      label.textContent = short(m.title || m.id, 40) + (m.representative ? " ★" : "");
    });
  }

  var box = document.getElementById("graph");
  if (box && box.dataset.family) {
    fetch("/api/families/" + encodeURIComponent(box.dataset.family), { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
      .then(function (fam) { draw(box, fam); })
      .catch(function (err) {
        while (box.firstChild) box.removeChild(box.firstChild);
        var p = document.createElement("p");
        p.className = "error";
        p.textContent = "The graph could not be drawn: " + err.message;
        box.appendChild(p);
      });
  }
})();

"""The CSS inlined into the HTML report (see :mod:`retold.report.html`; its script is
:mod:`retold.report.script`). Kept as a Python constant so no package-data wiring is
needed; it may not contain ``</`` + ``style``.
"""

CSS = r"""
:root { --fg:#1f2328; --muted:#656d76; --line:#d0d7de; --bg:#fff; --soft:#f6f8fa; --link:#0969da; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; color:var(--fg); background:var(--bg); }
header { position:sticky; top:0; z-index:5; display:flex; gap:18px; align-items:center; padding:8px 18px;
  background:#24292f; color:#fff; }
header h1 { font-size:16px; margin:0; font-weight:600; }
header nav a { color:#d0d7de; margin-right:14px; text-decoration:none; }
header nav a.on { color:#fff; font-weight:600; border-bottom:2px solid #fff; }
main { padding:14px 18px 40px; max-width:1500px; margin:0 auto; }
a { color:var(--link); text-decoration:none; } a:hover { text-decoration:underline; }
h2 { font-size:20px; margin:6px 0 10px; } h3 { font-size:15px; margin:12px 0 6px; }
.note { color:var(--muted); font-size:13px; margin:6px 0; }
.warn { background:#fff8c5; border:1px solid #d4a72c; padding:6px 10px; border-radius:6px; margin:8px 0; }
.cards { display:flex; flex-wrap:wrap; gap:10px; margin:8px 0 14px; }
.card { border:1px solid var(--line); border-radius:8px; padding:8px 14px; min-width:130px; background:var(--soft); }
.card b { display:block; font-size:22px; } .card span { color:var(--muted); font-size:12px; }
table { border-collapse:collapse; width:100%; margin:6px 0; }
th, td { border-bottom:1px solid var(--line); padding:4px 8px; text-align:left; vertical-align:top; }
th { background:var(--soft); font-weight:600; font-size:13px; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; }
td.id { word-break:break-all; }
tr.row:hover { background:#f0f6ff; cursor:pointer; }
.rel { display:inline-block; padding:0 6px; border-radius:10px; font-size:12px; color:#fff; }
.rel-duplicate { background:#b91c1c; } .rel-contains { background:#7c3aed; } .rel-contained { background:#0f766e; }
.rel-overlap { background:#2563eb; }
.doc-name { font-weight:600; color:var(--fg); word-break:normal; overflow-wrap:anywhere; } a.doc-name { color:var(--link); }
.sub { color:var(--muted); font-size:12px; word-break:break-all; }
.dir { display:inline-block; padding:0 6px; border-radius:10px; font-size:12px; background:#eef2ff; color:#3730a3; }
.dir-unknown { background:#f3f4f6; color:#656d76; }
mark.attr { background:transparent; color:#111; font-weight:600; box-shadow:inset 0 -3px 0 #0891b2; border-radius:0; }
mark.attr.hot { background:#cffafe; }
.tag-origin { display:inline-block; padding:0 6px; border-radius:10px; font-size:12px; background:#b91c1c; color:#fff; }
.pager, .tools { display:flex; gap:8px; align-items:center; margin:8px 0; flex-wrap:wrap; }
button, select, input { font:inherit; padding:3px 8px; border:1px solid var(--line); border-radius:6px; background:#fff; }
button:disabled { opacity:.45; }
.chip { background:#ddf4ff; border-radius:10px; padding:0 8px; }
svg { display:block; } svg text { font:11px system-ui,sans-serif; fill:#444; }
svg text.label { fill:#1f2328; paint-order:stroke; stroke:#fff; stroke-width:3px; stroke-linejoin:round; } svg tspan.muted { fill:#656d76; } svg tspan.strong { font-weight:bold; fill:#b91c1c; }
.lnode { cursor:pointer; } .ledge { fill:none; }
.bar { cursor:pointer; } .bar:hover { opacity:.75; }
.edge { cursor:pointer; } .edge:hover { stroke-opacity:1; }
.node { cursor:pointer; }
.pairhead { display:flex; gap:20px; align-items:flex-start; flex-wrap:wrap; }
.pairhead .meta { flex:1 1 520px; }
.sides { display:grid; grid-template-columns:1fr 1fr; gap:14px; }
.side h3 { word-break:break-all; }
.text { white-space:pre-wrap; word-wrap:break-word; border:1px solid var(--line); border-radius:6px; padding:10px 12px;
  max-height:78vh; overflow:auto; color:#57606a; background:#fff; font-size:14px; line-height:1.6; }
.text.missing { font-style:italic; }
.pas { color:#111; border-radius:2px; cursor:pointer; }
.pas.hot { outline:2px solid #111; }
.c0 { background:#dbeafe; } .c1 { background:#dcfce7; } .c2 { background:#fef3c7; } .c3 { background:#fce7f3; }
.c4 { background:#e0e7ff; } .c5 { background:#ccfbf1; } .c6 { background:#ffedd5; } .c7 { background:#f3e8ff; }
.sw { display:inline-block; width:12px; height:12px; border-radius:2px; vertical-align:middle; margin-right:3px; }
mark.chg, ins.chg, del.chg, span.chg { color:#111; border-radius:2px; }
mark.rep { background:#fde68a; border-bottom:2px solid #b45309; }
ins.ins { background:#a7f3c0; border-bottom:2px solid #15803d; text-decoration:none; }
del.del { background:#fecaca; border-bottom:2px solid #b91c1c; text-decoration:line-through; text-decoration-color:#b91c1c; }
span.mov { background:#ede9fe; border-bottom:2px dashed #7c3aed; }
span.gap { cursor:help; } span.gap::before { content:"\2038"; font-weight:bold; padding:0 1px; }
span.gap-ins::before { color:#15803d; } span.gap-del::before { color:#b91c1c; }
.legend { display:flex; flex-wrap:wrap; gap:12px; align-items:center; font-size:13px; margin:6px 0; }
@media (max-width:900px) { .sides { grid-template-columns:1fr; } }
"""

assert "</" + "style" not in CSS.lower()

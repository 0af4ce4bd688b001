"""Reports of a scan: :mod:`.data` (what a page needs, shared with the web app) and
:mod:`.html` (the self-contained HTML file)."""

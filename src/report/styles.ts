/** The report's stylesheet (inlined into every page). Light, print-friendly, no web fonts. */
export const PAGE_STYLES = `
:root { --ink: #1f2328; --muted: #656d76; --line: #d0d7de; --soft: #f6f8fa; --best: #dafbe1; --best-ink: #116329; --ref: #ddf4ff; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1280px; padding: 24px 32px 48px; color: var(--ink); background: #fff;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", Roboto, Helvetica, Arial, sans-serif; }
body.wide { max-width: none; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 32px 0 8px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 14px; margin: 0 0 6px; text-align: center; }
.meta { display: flex; flex-wrap: wrap; gap: 4px 24px; color: var(--muted); margin: 0 0 8px; padding: 0; list-style: none; }
.meta b { color: var(--ink); font-weight: 600; }
code { font: 12px/1.4 ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; background: var(--soft); padding: 1px 4px; border-radius: 4px; word-break: break-all; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { padding: 6px 10px; border-bottom: 1px solid var(--line); text-align: right; vertical-align: top; white-space: nowrap; }
th { background: var(--soft); font-weight: 600; }
th:first-child, td:first-child, tbody th { text-align: left; white-space: normal; }
tbody th { background: none; min-width: 10em; }
th.text, td.text { text-align: left; }
tr.reference th { background: var(--ref); }
tr.reference td { background: var(--ref); }
td.best { background: var(--best); color: var(--best-ink); font-weight: 600; }
td .delta { display: block; font-size: 11px; color: var(--muted); font-weight: 400; }
td.na { color: var(--muted); }
.tag { display: inline-block; font-size: 11px; padding: 0 6px; margin-left: 6px; border-radius: 10px; background: #0969da; color: #fff; vertical-align: 1px; }
.legend-note { color: var(--muted); font-size: 12px; margin: 6px 0 0; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; vertical-align: -1px; margin-right: 4px; }
.swatch.best { background: var(--best); border: 1px solid var(--best-ink); }
.swatch.ref { background: var(--ref); border: 1px solid #54aeff; }
.grid { display: grid; gap: 16px; grid-template-columns: repeat(auto-fit, minmax(340px, 1fr)); }
.chart-card { margin: 0; border: 1px solid var(--line); border-radius: 8px; padding: 12px; min-width: 0; }
#methods .chart-card { margin-bottom: 12px; }
.chart-box { position: relative; width: 100%; }
.notes p { margin: 4px 0; white-space: pre-wrap; }
.error { color: #cf222e; font-weight: 600; }
footer { margin-top: 40px; color: var(--muted); font-size: 12px; }
a { color: #0969da; }
@media print { body { padding: 0; } .chart-card { break-inside: avoid; } }
`;

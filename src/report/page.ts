/**
 * The self-contained HTML page shell shared by reports and index pages: inline styles and
 * scripts only, and a Content-Security-Policy that forbids the page from loading anything at all
 * (connections, images, fonts, frames), so "opens offline" is enforced by the browser, not hoped.
 * Scripts are allowed by hash, so only the scripts written here can run, even if some string
 * escaped its escaping.
 */
import { createHash } from 'node:crypto';
import { escapeHtml } from './escape';
import { PAGE_STYLES } from './styles';

export interface PageParts {
  title: string;
  /** Already-escaped HTML of the body. */
  body: string;
  /** Inline script sources, in execution order (each must not contain "</script"). */
  scripts?: readonly string[];
  /** JSON data blocks: element id → already script-safe JSON text (see jsonForScript). */
  dataBlocks?: Readonly<Record<string, string>>;
  /** Use the full window width (wide tables) instead of the reading width. */
  wide?: boolean;
}

function scriptHash(source: string): string {
  return `'sha256-${createHash('sha256').update(source, 'utf8').digest('base64')}'`;
}

export function renderPage(parts: PageParts): string {
  const scripts = parts.scripts ?? [];
  for (const source of scripts) if (/<\/script/i.test(source)) throw new Error('inline script contains "</script"');
  const scriptSrc = scripts.length > 0 ? scripts.map(scriptHash).join(' ') : "'none'";
  const csp = `default-src 'none'; script-src ${scriptSrc}; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'`;
  const data = Object.entries(parts.dataBlocks ?? {})
    .map(([id, json]) => `<script type="application/json" id="${escapeHtml(id)}">${json}</script>`)
    .join('\n');
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="generator" content="deepcut">',
    `<title>${escapeHtml(parts.title)}</title>`,
    `<style>${PAGE_STYLES}</style>`,
    '</head>',
    parts.wide ? '<body class="wide">' : '<body>',
    parts.body,
    data,
    ...scripts.map((source) => `<script>${source}</script>`),
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

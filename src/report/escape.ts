/** Escaping for the three places user strings end up in a report: HTML text/attributes, inline JSON, links. */

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escape for HTML text and for double- or single-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch]!);
}

/**
 * JSON that is safe inside `<script type="application/json">`: `<`, `>` and `&` become \u escapes
 * so no `</script>` or `<!--` can end the element early; U+2028/2029 too, for older parsers.
 * NaN and ±Infinity become null (JSON.stringify's rule), which charts treat as a gap.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * A relative link for an href: refuses anything with a URL scheme (`https:`, `javascript:`, ...) or
 * a protocol-relative `//host` start, since index pages must link only to files beside them.
 * Percent-encodes characters that are not allowed in a URL path (spaces, quotes, non-ASCII); the
 * result still needs escapeHtml when put in an attribute.
 */
export function relativeHref(pathLike: string): string {
  const normalised = pathLike.replace(/\\/g, '/');
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(normalised) || normalised.startsWith('//')) {
    throw new Error(`report link must be a relative path, got ${JSON.stringify(pathLike)}`);
  }
  return encodeURI(normalised).replace(/'/g, '%27');
}

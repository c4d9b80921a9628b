/**
 * Just enough RFC 822 / MIME to turn a raw email into classifier text: headers, multipart
 * bodies, quoted-printable and base64, RFC 2047 encoded words, and HTML-to-text.
 * Anything not simple (attachments, unknown charsets) degrades to skipping or latin1, never to an error.
 */

export interface ParsedEmail {
  /** Lower-cased header name -> first occurrence, unfolded. */
  headers: Map<string, string>;
  body: string;
}

export function parseEmail(raw: string): ParsedEmail {
  const normalised = raw.replace(/\r\n/g, '\n');
  const gap = normalised.indexOf('\n\n');
  const headerBlock = gap === -1 ? normalised : normalised.slice(0, gap);
  const body = gap === -1 ? '' : normalised.slice(gap + 2);
  return { headers: parseHeaders(headerBlock), body };
}

function parseHeaders(block: string): Map<string, string> {
  const headers = new Map<string, string>();
  // Unfold continuation lines (RFC 5322 2.2.3) before splitting.
  const lines = block.replace(/\n[ \t]+/g, ' ').split('\n');
  for (const line of lines) {
    const colon = line.indexOf(':');
    // Skips the mbox "From sender date" envelope line, which has no colon right after a name.
    if (colon <= 0 || /\s/.test(line.slice(0, colon))) continue;
    const name = line.slice(0, colon).toLowerCase();
    if (!headers.has(name)) headers.set(name, line.slice(colon + 1).trim());
  }
  return headers;
}

/** The lower-cased address from a From: header value, or undefined when it holds none. */
export function senderAddress(from: string | undefined): string | undefined {
  if (from === undefined) return undefined;
  const angled = /<([^<>\s]+@[^<>\s]+)>/.exec(from);
  const bare = angled ?? /([^\s<>()"',;:]+@[^\s<>()"',;:]+)/.exec(from);
  return bare?.[1]?.toLowerCase().replace(/\.$/, '');
}

/** Decodes RFC 2047 `=?charset?B|Q?...?=` words, as spam subjects often use them. */
export function decodeEncodedWords(value: string): string {
  return value
    .replace(/(=\?[^?]+\?[bBqQ]\?[^?]*\?=)\s+(?==\?)/g, '$1')
    .replace(/=\?([^?]+)\?([bBqQ])\?([^?]*)\?=/g, (_m, charset: string, enc: string, data: string) => {
      const bytes =
        enc.toUpperCase() === 'B'
          ? Buffer.from(data, 'base64')
          : binaryBytes(data.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_x, h: string) => String.fromCharCode(parseInt(h, 16))));
      return decodeCharset(bytes, charset);
    });
}

/** Readable text of the message body: text/plain preferred, HTML converted, other parts skipped. */
export function bodyText(email: ParsedEmail): string {
  return partText(email.headers, email.body, 0);
}

function partText(headers: Map<string, string>, body: string, depth: number): string {
  const contentType = headers.get('content-type') ?? 'text/plain';
  const mediaType = (contentType.split(';')[0] ?? '').trim().toLowerCase() || 'text/plain';
  if (mediaType.startsWith('multipart/') && depth < 5) {
    const boundary = parameter(contentType, 'boundary');
    if (boundary === undefined) return '';
    const parts = splitMultipart(body, boundary).map(parseEmail);
    if (mediaType === 'multipart/alternative') {
      const plain = parts.find((p) => typeOf(p) === 'text/plain');
      const chosen = plain ?? parts.find((p) => typeOf(p) === 'text/html') ?? parts[0];
      return chosen === undefined ? '' : partText(chosen.headers, chosen.body, depth + 1);
    }
    return parts
      .map((p) => partText(p.headers, p.body, depth + 1))
      .filter((t) => t !== '')
      .join('\n');
  }
  // Any text/* (plain, enriched, a bare "text") is kept; images, applications and the like are not.
  if (!mediaType.startsWith('text')) return '';
  const disposition = headers.get('content-disposition') ?? '';
  if (/^\s*attachment/i.test(disposition)) return '';
  const decoded = decodeTransfer(body, headers.get('content-transfer-encoding'), parameter(contentType, 'charset'));
  // Much spam sends HTML without declaring it; strip tags whenever the body looks like markup.
  return mediaType === 'text/html' || LOOKS_LIKE_HTML.test(decoded) ? htmlToText(decoded) : decoded;
}

const LOOKS_LIKE_HTML = /<(html|body|p|br|div|font|table|center|a\s+href)\b[^>]*>/i;

function typeOf(part: ParsedEmail): string {
  return ((part.headers.get('content-type') ?? 'text/plain').split(';')[0] ?? '').trim().toLowerCase();
}

function parameter(headerValue: string, name: string): string | undefined {
  const match = new RegExp(`;\\s*${name}\\s*=\\s*(?:"([^"]*)"|([^;\\s]+))`, 'i').exec(headerValue);
  return match ? (match[1] ?? match[2]) : undefined;
}

function splitMultipart(body: string, boundary: string): string[] {
  const delimiter = `--${boundary}`;
  const parts: string[] = [];
  let current: string[] | undefined;
  for (const line of body.split('\n')) {
    if (line.startsWith(delimiter)) {
      if (current !== undefined) parts.push(current.join('\n'));
      if (line.startsWith(`${delimiter}--`)) return parts;
      current = [];
    } else if (current !== undefined) {
      current.push(line);
    }
  }
  if (current !== undefined) parts.push(current.join('\n'));
  return parts;
}

function decodeTransfer(body: string, encoding: string | undefined, charset: string | undefined): string {
  const kind = (encoding ?? '').trim().toLowerCase();
  if (kind === 'base64') return decodeCharset(Buffer.from(body.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64'), charset);
  if (kind === 'quoted-printable') {
    const unwrapped = body.replace(/=\n/g, '').replace(/=([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
    return decodeCharset(binaryBytes(unwrapped), charset);
  }
  return body;
}

/** Bytes of a string whose code points < 256 stand for bytes; others are kept as their UTF-8. */
function binaryBytes(text: string): Buffer {
  return /[^\u0000-\u00ff]/.test(text) ? Buffer.from(text, 'utf8') : Buffer.from(text, 'latin1');
}

function decodeCharset(bytes: Buffer, charset: string | undefined): string {
  const label = (charset ?? 'utf-8').trim().toLowerCase();
  try {
    return new TextDecoder(label).decode(bytes);
  } catch {
    return bytes.toString('latin1');
  }
}

const ENTITIES: Record<string, string> = { nbsp: ' ', amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", copy: '(c)', reg: '(R)' };

export function htmlToText(html: string): string {
  return html
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/<(script|style|head)\b[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (match, entity: string) => {
      if (entity[0] === '#') {
        const code = entity[1] === 'x' || entity[1] === 'X' ? parseInt(entity.slice(2), 16) : parseInt(entity.slice(1), 10);
        return code > 0 && code < 0x110000 ? String.fromCodePoint(code) : ' ';
      }
      return ENTITIES[entity.toLowerCase()] ?? match;
    });
}

/** Collapses all whitespace runs to one space and caps the length on a code-point boundary. */
export function cleanText(text: string, maxChars: number): string {
  const collapsed = text.replace(/\s+/g, ' ').trim();
  if (collapsed.length <= maxChars) return collapsed;
  const cut = collapsed.slice(0, maxChars);
  // Do not leave half of a surrogate pair at the end.
  return /[\ud800-\udbff]$/.test(cut) ? cut.slice(0, -1) : cut;
}

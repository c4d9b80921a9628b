/**
 * Minimal reader for compressed SWORD Bible/commentary modules (zText, zCom, zCom4) as shipped by
 * Debian's `sword-text-*` / `sword-comm-*` packages. Only what corpus extraction needs: every
 * non-empty entry's OSIS markup, in canonical order, plus a markup-to-plain-text converter.
 *
 * File layout (little-endian), per testament ("ot"/"nt"):
 *   <t>.{b|c}zs  block index: 12 bytes per block = [offset u32, compressedSize u32, size u32]
 *   <t>.{b|c}zv  entry index: [block u32, offset u32, size u16] (10 bytes, zText/zCom) or
 *                             [block u32, offset u32, size u32] (12 bytes, zCom4)
 *   <t>.{b|c}zz  concatenated zlib-compressed blocks
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';

export interface SwordModuleLayout {
  /** Directory holding ot.* / nt.* files. */
  dir: string;
  /** File-name letter before "zs/zv/zz": "b" (book/testament blocks) or "c" (chapter blocks). */
  blockLetter: 'b' | 'c';
  /** Bytes per entry in the *.zv index: 10 for zText/zCom, 12 for zCom4. */
  entryIndexBytes: 10 | 12;
}

/** Raw OSIS markup of every non-empty entry in the module, OT first. Repeated (linked) entries are kept. */
export function readSwordEntries(layout: SwordModuleLayout): string[] {
  const entries: string[] = [];
  for (const testament of ['ot', 'nt']) {
    const base = path.join(layout.dir, `${testament}.${layout.blockLetter}z`);
    if (!fs.existsSync(`${base}z`) || fs.statSync(`${base}z`).size === 0) continue;
    const blockIndex = fs.readFileSync(`${base}s`);
    const entryIndex = fs.readFileSync(`${base}v`);
    const blocks = fs.readFileSync(`${base}z`);
    const inflated = new Map<number, Buffer>();
    const step = layout.entryIndexBytes;
    for (let at = 0; at + step <= entryIndex.length; at += step) {
      const block = entryIndex.readUInt32LE(at);
      const offset = entryIndex.readUInt32LE(at + 4);
      const size = step === 10 ? entryIndex.readUInt16LE(at + 8) : entryIndex.readUInt32LE(at + 8);
      if (size === 0) continue;
      let data = inflated.get(block);
      if (data === undefined) {
        const start = blockIndex.readUInt32LE(block * 12);
        const length = blockIndex.readUInt32LE(block * 12 + 4);
        data = zlib.inflateSync(blocks.subarray(start, start + length));
        inflated.set(block, data);
      }
      entries.push(data.subarray(offset, offset + size).toString('utf8'));
    }
  }
  return entries;
}

const XML_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

/**
 * OSIS markup → plain text with "\n\n" at paragraph-level boundaries (div milestones, titles,
 * poetry lines). Notes (cross references, translator notes) and titles are dropped: they are
 * apparatus, not prose.
 */
export function osisToPlainText(markup: string): string {
  return markup
    .replace(/<note\b[\s\S]*?<\/note>/g, '')
    .replace(/<title\b[\s\S]*?<\/title>/g, '\n\n')
    .replace(/<(?:div|p|l|lg|list|item|table|row|chapter)\b[^>]*>/g, '\n\n')
    .replace(/<\/(?:p|l|lg|list|item|table|row)>/g, '\n\n')
    .replace(/<(?:lb|cell)\b[^>]*>/g, ' ')
    .replace(/<[^>]*>/g, '')
    .replace(/&(amp|lt|gt|quot|apos|nbsp);/g, (_m, name: string) => XML_ENTITIES[name] ?? '')
    .replace(/&#(\d+);/g, (_m, code: string) => String.fromCodePoint(Number(code)));
}

/**
 * Reader for dictd databases (`NAME.index` + `NAME.dict.dz`, as in Debian's `dict-*` packages).
 * The .dz file is dictzip, i.e. valid gzip, so it is inflated whole; the index gives each entry's
 * byte range as base64-ish numbers (dictd alphabet, most significant digit first).
 */
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';

const DICTD_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function decodeDictdNumber(encoded: string): number {
  let value = 0;
  for (const ch of encoded) {
    const digit = DICTD_DIGITS.indexOf(ch);
    if (digit < 0) throw new Error(`invalid dictd index number "${encoded}"`);
    value = value * 64 + digit;
  }
  return value;
}

export interface DictdEntry {
  headword: string;
  /** Entry body as stored (headword line included, hard-wrapped lines). */
  body: string;
}

/** All entries in file order, skipping dictd's own "00-database-*" metadata entries. */
export function readDictdEntries(indexPath: string, dictPath: string): DictdEntry[] {
  const dict = zlib.gunzipSync(fs.readFileSync(dictPath));
  const located: Array<DictdEntry & { start: number }> = [];
  const seenOffsets = new Set<number>();
  for (const line of fs.readFileSync(indexPath, 'utf8').split('\n')) {
    const [headword, offset, length] = line.split('\t');
    if (headword === undefined || offset === undefined || length === undefined) continue;
    if (headword.startsWith('00database') || headword.startsWith('00-database')) continue;
    const start = decodeDictdNumber(offset);
    // Several headwords may point at one body (aliases); keep each body once.
    if (seenOffsets.has(start)) continue;
    seenOffsets.add(start);
    located.push({ start, headword, body: dict.subarray(start, start + decodeDictdNumber(length)).toString('utf8') });
  }
  // The index is sorted by headword; file order is the author's order (preface first).
  located.sort((a, b) => a.start - b.start);
  return located.map(({ headword, body }) => ({ headword, body }));
}

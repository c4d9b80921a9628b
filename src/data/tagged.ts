/**
 * Tagged sentences (token classification) from any source: field checks shared by the JSONL and
 * CoNLL readers and the built-in corpora. A tagged record has tokens and one tag name per token;
 * its text is the tokens joined by single spaces and it has no sentence label.
 */
import { DataError, type DataLocation } from './errors';
import type { RawRecord } from './records';
import { isSplit } from './types';

export interface TaggedFields {
  user?: string;
  split?: RawRecord['split'];
  group?: string;
}

/** A validated tagged record; `where` names the file and line for every error. */
export function taggedRecord(id: string, tokens: string[], tagNames: string[], where: DataLocation, fields: TaggedFields = {}): RawRecord {
  if (tokens.length === 0) throw new DataError(`field 'tokens' is empty for id '${id}' (a sentence needs at least one token)`, where);
  if (tokens.length !== tagNames.length) {
    throw new DataError(`id '${id}' has ${tokens.length} tokens but ${tagNames.length} tags (one tag per token)`, where);
  }
  tokens.forEach((token, i) => {
    if (token.trim() === '') throw new DataError(`empty token at position ${i + 1} of 'tokens' for id '${id}'`, where);
  });
  tagNames.forEach((tag, i) => {
    if (tag.trim() === '') throw new DataError(`empty tag at position ${i + 1} of 'tags' for id '${id}'`, where);
  });
  const record: RawRecord = { id, text: tokens.join(' '), labelName: '', tokens, tagNames, where };
  if (fields.user !== undefined) record.user = fields.user;
  if (fields.split !== undefined) record.split = fields.split;
  if (fields.group !== undefined) record.group = fields.group;
  return record;
}

/** A JSONL object {"id", "tokens": [...], "tags": [...], "user"?, "split"?, "group"?}. */
export function taggedRecordFromFields(fields: Record<string, unknown>, where: DataLocation): RawRecord {
  const id = idField(fields, where);
  const tokens = stringArray(fields, 'tokens', id, where);
  const tags = stringArray(fields, 'tags', id, where);
  const extra: TaggedFields = {};
  const user = optionalText(fields, 'user', where);
  if (user !== undefined) extra.user = user;
  const group = optionalText(fields, 'group', where);
  if (group !== undefined) extra.group = group;
  const split = optionalText(fields, 'split', where);
  if (split !== undefined) {
    if (!isSplit(split)) throw new DataError(`invalid split '${split}' for id '${id}' (expected train, validation or test)`, where);
    extra.split = split;
  }
  return taggedRecord(id, tokens, tags, where, extra);
}

function idField(fields: Record<string, unknown>, where: DataLocation): string {
  const value = fields.id;
  if (value === undefined || value === null || value === '') throw new DataError("missing field 'id'", where);
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  throw new DataError(`field 'id' must be a string, got ${typeof value}`, where);
}

function stringArray(fields: Record<string, unknown>, name: 'tokens' | 'tags', id: string, where: DataLocation): string[] {
  const value = fields[name];
  if (value === undefined || value === null) throw new DataError(`missing field '${name}' for id '${id}'`, where);
  if (!Array.isArray(value)) throw new DataError(`field '${name}' must be an array of strings for id '${id}', got ${typeof value}`, where);
  value.forEach((item: unknown, i) => {
    if (typeof item !== 'string') {
      throw new DataError(`${name === 'tokens' ? 'token' : 'tag'} at position ${i + 1} of '${name}' must be a string for id '${id}', got ${item === null ? 'null' : typeof item}`, where);
    }
  });
  return value as string[];
}

function optionalText(fields: Record<string, unknown>, name: string, where: DataLocation): string | undefined {
  const value = fields[name];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  throw new DataError(`field '${name}' must be a string, got ${typeof value}`, where);
}

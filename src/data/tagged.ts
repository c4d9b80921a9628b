/**
 * Tagged sentences (token classification) from any source: field checks shared by the JSONL and
 * CoNLL readers and the built-in corpora. A tagged record has tokens and one tag name per token;
 * its text is the tokens joined by single spaces and it has no sentence label.
 */
import { DataError, type DataLocation } from './errors';
import { optionalSplit, optionalString, requiredString, type RawRecord } from './records';

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
  const id = requiredString(fields, 'id', where, true);
  const tokens = stringArray(fields, 'tokens', id, where);
  const tags = stringArray(fields, 'tags', id, where);
  const extra: TaggedFields = {};
  const user = optionalString(fields, 'user', where);
  if (user !== undefined) extra.user = user;
  const group = optionalString(fields, 'group', where);
  if (group !== undefined) extra.group = group;
  const split = optionalSplit(fields, id, where);
  if (split !== undefined) extra.split = split;
  return taggedRecord(id, tokens, tags, where, extra);
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

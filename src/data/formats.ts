/**
 * Dataset file formats: JSONL (one object per line) and CSV (header row naming the columns).
 * Fields: id, text, label, optional user and split; other fields/columns are ignored.
 * JSONL may instead hold tagged sentences (token classification): id, tokens, tags, optional
 * user, split, group; a line with a `tokens` field is tagged, and a file is all one form or all
 * the other. CoNLL files: see conll.ts.
 * Blank lines are skipped in both (they hold no record); every other line yields a record or an error.
 */
import { CsvLineParser } from './csv';
import { DataError } from './errors';
import { readUtf8Lines } from './lines';
import { rawRecordFromFields, type RawRecord } from './records';
import { taggedRecordFromFields } from './tagged';

const REQUIRED_COLUMNS = ['id', 'text', 'label'] as const;

/** The objects of a JSONL file with their line numbers (blank lines skipped); errors name file and line. */
export async function* readJsonlObjects(file: string): AsyncGenerator<{ fields: Record<string, unknown>; line: number }> {
  for await (const { line, text } of readUtf8Lines(file)) {
    if (text.trim() === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new DataError(`malformed JSON: ${(err as Error).message}`, { file, line });
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new DataError('each JSONL line must be a JSON object', { file, line });
    }
    yield { fields: parsed as Record<string, unknown>, line };
  }
}

export async function readJsonlRecords(file: string): Promise<RawRecord[]> {
  const records: RawRecord[] = [];
  let first: { tagged: boolean; line: number } | undefined;
  for await (const { fields, line } of readJsonlObjects(file)) {
    const tagged = fields.tokens !== undefined;
    first ??= { tagged, line };
    if (tagged !== first.tagged) {
      throw new DataError(
        tagged
          ? `a tagged sentence (field 'tokens') in a file of text/label records (line ${first.line} has no 'tokens'); a file is one form or the other`
          : `a text/label record (no field 'tokens') in a file of tagged sentences (line ${first.line} has 'tokens'); a file is one form or the other`,
        { file, line },
      );
    }
    records.push(tagged ? taggedRecordFromFields(fields, { file, line }) : rawRecordFromFields(fields, { file, line }));
  }
  return records;
}

export async function readCsvRecords(file: string): Promise<RawRecord[]> {
  const parser = new CsvLineParser(file);
  const records: RawRecord[] = [];
  let header: string[] | undefined;
  for await (const { line, text } of readUtf8Lines(file)) {
    // A blank line outside a quoted field is not a row; inside one it is part of the field.
    if (text === '' && !parser.pendingField()) continue;
    const row = parser.pushLine(text, line);
    if (row === undefined) continue;
    if (header === undefined) {
      header = row.fields.map((name) => name.trim());
      checkHeader(header, file, row.line);
      continue;
    }
    if (row.fields.length !== header.length) {
      throw new DataError(`ragged row: ${row.fields.length} fields, header has ${header.length}`, { file, line: row.line });
    }
    const fields: Record<string, unknown> = {};
    header.forEach((name, i) => (fields[name] = row.fields[i]));
    records.push(rawRecordFromFields(fields, { file, line: row.line }));
  }
  parser.finish();
  if (header === undefined) throw new DataError('empty CSV file (no header row)', { file });
  return records;
}

function checkHeader(header: string[], file: string, line: number): void {
  for (const column of REQUIRED_COLUMNS) {
    if (!header.includes(column)) {
      throw new DataError(`missing field '${column}' in CSV header (columns: ${header.join(', ')})`, { file, line });
    }
  }
  const duplicate = header.find((name, i) => header.indexOf(name) !== i);
  if (duplicate !== undefined) throw new DataError(`duplicate column '${duplicate}' in CSV header`, { file, line });
}

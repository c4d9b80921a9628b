import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataError, loadDataset } from '../src/data';

const dir = mkdtempSync(join(tmpdir(), 'deepcut-data-errors-'));

/** Writes a broken file and expects loading it to fail with a DataError naming the file and line. */
async function expectError(name: string, contents: string | Buffer, line: number | undefined, message: RegExp): Promise<void> {
  const path = join(dir, name);
  writeFileSync(path, contents);
  await assert.rejects(loadDataset(path), (err: unknown) => {
    assert.ok(err instanceof DataError, `expected DataError, got ${String(err)}`);
    assert.equal(err.file, path);
    assert.equal(err.line, line);
    assert.match(err.message, message);
    if (line !== undefined) assert.ok(err.message.includes(`${path}: line ${line}: `), err.message);
    return true;
  });
}

const ok = (id: string, label = 'a', split = 'train'): string => JSON.stringify({ id, text: `text ${id}`, label, split });

test('missing field (JSONL) names the field and line', async () => {
  await expectError('missing.jsonl', [ok('1'), '{"id":"2","text":"no label here"}'].join('\n'), 2, /missing field 'label'/);
});

test('missing column (CSV header) names the column and line 1', async () => {
  await expectError('missing.csv', 'id,text\n1,hello\n', 1, /missing field 'label' in CSV header/);
});

test('empty text (whitespace only) is an error, not a dropped row', async () => {
  await expectError('empty.jsonl', [ok('1'), ok('2'), '{"id":"3","text":"   ","label":"a"}'].join('\n'), 3, /empty text for id '3'/);
});

test('duplicate id names both occurrences', async () => {
  const path = join(dir, 'dup.jsonl');
  await expectError('dup.jsonl', [ok('x'), ok('y'), ok('x')].join('\n'), 3, new RegExp(`duplicate id 'x' \\(first seen at ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} line 1\\)`));
});

test('unknown label in the test split (not seen in train)', async () => {
  await expectError('unseen.jsonl', [ok('1', 'a'), ok('2', 'b'), ok('3', 'c', 'test')].join('\n'), 3, /unknown label 'c' for id '3' in the test split \(label not seen in train\)/);
});

test('invalid UTF-8 is reported at its line', async () => {
  const bytes = Buffer.concat([Buffer.from(ok('1') + '\n' + ok('2') + '\n{"id":"3","text":"caf'), Buffer.from([0xc3, 0x28]), Buffer.from('","label":"a"}\n')]);
  await expectError('latin.jsonl', bytes, 3, /invalid UTF-8/);
});

test('CSV ragged row names the row start line', async () => {
  // Row 3 spans lines 3-4 (quoted line break); the ragged row is the one starting on line 5.
  await expectError('ragged.csv', 'id,text,label\n1,hi,a\n2,"two\nlines",a\n3,too,many,fields\n', 5, /ragged row: 4 fields, header has 3/);
});

test('malformed JSON names the line', async () => {
  await expectError('bad.jsonl', [ok('1'), '{"id":"2","text":"oops",}'].join('\n'), 2, /malformed JSON/);
});

test('other malformed input: invalid split, non-object line, bare quote, unterminated quote, unknown extension, missing file', async () => {
  await expectError('split.jsonl', '{"id":"1","text":"t","label":"a","split":"dev"}', 1, /invalid split 'dev'/);
  await expectError('array.jsonl', '["id","text"]', 1, /must be a JSON object/);
  await expectError('quote.csv', 'id,text,label\n1,say "hi",a\n', 2, /quote inside an unquoted field/);
  await expectError('open.csv', 'id,text,label\n1,"never closed,a\n2,x,a\n', 2, /unterminated quoted field/);
  await expectError('data.txt', 'x', undefined, /unsupported dataset file type '.txt'/);
  await assert.rejects(loadDataset(join(dir, 'nope.jsonl')), (err: unknown) => err instanceof DataError && /cannot read file/.test(err.message));
});

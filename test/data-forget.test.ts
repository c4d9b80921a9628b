import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DataError,
  buildDataset,
  getBuiltinDataset,
  largestUsers,
  parseForgetSpec,
  readForgetSet,
  resolveForgetSet,
  retainSplit,
  splitOf,
  writeForgetSet,
} from '../src/data';

const ds = getBuiltinDataset('spamassassin', { seed: 42 });
const dir = mkdtempSync(join(tmpdir(), 'deepcut-data-forget-'));

function expectDataError(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (err: unknown) => err instanceof DataError && message.test(err.message));
}

test('spec parsing: four kinds, "+" union, "+" inside an address or file name stays part of it', () => {
  assert.deepEqual(parseForgetSpec('user:a@b.com+random:0.01'), [
    { kind: 'user', name: 'a@b.com' },
    { kind: 'random', fraction: 0.01 },
  ]);
  assert.deepEqual(parseForgetSpec('user:manojk+fork@io.com+class:spam+ids:my+ids.txt'), [
    { kind: 'user', name: 'manojk+fork@io.com' },
    { kind: 'class', label: 'spam' },
    { kind: 'ids', file: 'my+ids.txt' },
  ]);
  expectDataError(() => parseForgetSpec('person:x'), /unknown forget term 'person:x'/);
  expectDataError(() => parseForgetSpec('user:'), /'user:' needs a value/);
  expectDataError(() => parseForgetSpec(''), /empty forget spec/);
});

test('fraction must be in (0, 1]', () => {
  for (const bad of ['0', '1.5', '-0.1', 'abc', '']) {
    expectDataError(() => resolveForgetSet(ds, `random:${bad}`), bad === '' ? /needs a value/ : /random fraction must be a number in \(0, 1\]/);
  }
  assert.equal(resolveForgetSet(ds, 'random:1').ids.length, 4861);
});

test('user: forgets every train record of the largest sender; retain split is the rest of train', () => {
  const [largest] = largestUsers(ds, 1);
  assert.deepEqual(largest, { user: 'rssfeeds@spamassassin.taint.org', count: 500 });
  const fs = resolveForgetSet(ds, `user:${largest?.user}`);
  assert.equal(fs.ids.length, 500);
  assert.deepEqual(fs.warnings, []);
  assert.equal(fs.hash, createHash('sha256').update(fs.ids.join('\n')).digest('hex'));
  assert.deepEqual(fs.ids, [...fs.ids].sort());
  const retain = retainSplit(ds, fs);
  assert.equal(retain.length, 4861 - 500);
  assert.ok(retain.every((e) => e.user !== largest?.user && e.split === 'train'));
  // The sender's validation/test emails stay where they are: forget sets touch train only.
  assert.equal(ds.examples.filter((e) => e.user === largest?.user && e.split !== 'train').length, 123);
});

test('random: is a seeded fraction of train, stable per seed, different across seeds', () => {
  const a = resolveForgetSet(ds, 'random:0.05');
  assert.equal(a.ids.length, 243); // round(0.05 * 4861)
  assert.deepEqual(resolveForgetSet(ds, 'random:0.05').ids, a.ids);
  const b = resolveForgetSet(ds, 'random:0.05', { seed: 7 });
  assert.equal(b.ids.length, 243);
  assert.notEqual(b.hash, a.hash);
  const train = new Set(splitOf(ds, 'train').map((e) => e.id));
  assert.ok(a.ids.every((id) => train.has(id)));
  assert.equal(resolveForgetSet(ds, 'random:0.00001').ids.length, 1, 'a positive fraction is at least one record');
});

test('union: user + random counts each id once', () => {
  const user = resolveForgetSet(ds, 'user:rssfeeds@spamassassin.taint.org');
  const random = resolveForgetSet(ds, 'random:0.01');
  const union = resolveForgetSet(ds, 'user:rssfeeds@spamassassin.taint.org+random:0.01');
  const overlap = random.ids.filter((id) => user.ids.includes(id)).length;
  assert.equal(random.ids.length, 49);
  assert.equal(union.ids.length, 500 + 49 - overlap);
  assert.equal(union.ids.length, 546);
  assert.equal(union.spec, 'user:rssfeeds@spamassassin.taint.org+random:0.01');
});

test('class: forgets a whole class and warns; whole-train forget warns', () => {
  const spam = resolveForgetSet(ds, 'class:spam');
  assert.equal(spam.ids.length, 1533);
  assert.deepEqual(spam.warnings, ["forget set contains every train record of class 'spam' (1533): the class would vanish from the retain set"]);
  const all = resolveForgetSet(ds, 'class:spam+class:ham');
  assert.equal(all.ids.length, 4861);
  assert.deepEqual(all.warnings, ['forget set is the whole train split (4861 records): nothing would remain to train on']);
});

test('ids: file with comments and blank lines; unknown id names the id, file and line', () => {
  const trainIds = splitOf(ds, 'train').map((e) => e.id);
  const testId = splitOf(ds, 'test')[0]?.id;
  const good = join(dir, 'ids.txt');
  writeFileSync(good, `# ids to forget\n${trainIds[0]}\n\n  ${trainIds[1]}  \n# done\n${trainIds[0]}\n`);
  const fs = resolveForgetSet(ds, 'ids:ids.txt', { baseDir: dir });
  assert.deepEqual(fs.ids, [trainIds[0], trainIds[1]].sort());

  const bad = join(dir, 'bad-ids.txt');
  writeFileSync(bad, `${trainIds[0]}\n# comment\nspam-9/00001\n`);
  assert.throws(
    () => resolveForgetSet(ds, `ids:${bad}`),
    (err: unknown) => err instanceof DataError && err.file === bad && err.line === 3 && /unknown id 'spam-9\/00001' in dataset 'spamassassin'/.test(err.message),
  );
  writeFileSync(bad, `${testId}\n`);
  expectDataError(() => resolveForgetSet(ds, `ids:${bad}`), new RegExp(`line 1: id '${testId}' is in the test split; only train records can be forgotten`));
  expectDataError(() => resolveForgetSet(ds, `ids:${join(dir, 'missing.txt')}`), /cannot read id file/);
});

test('unknown user, unknown class, empty forget set are errors naming the thing', () => {
  expectDataError(() => resolveForgetSet(ds, 'user:nobody@nowhere.org'), /unknown user 'nobody@nowhere.org' in dataset 'spamassassin'/);
  expectDataError(() => resolveForgetSet(ds, 'class:phishing'), /unknown class 'phishing' \(classes: ham, spam\)/);
  const onlyComments = join(dir, 'empty-ids.txt');
  writeFileSync(onlyComments, '# nothing to forget\n\n');
  expectDataError(() => resolveForgetSet(ds, `ids:${onlyComments}`), /empty forget set/);
  // A sender whose only emails fell outside train has nothing that can be forgotten.
  const testOnly = [...new Set(ds.examples.map((e) => e.user))].find(
    (u) => u !== undefined && ds.examples.filter((e) => e.user === u).every((e) => e.split !== 'train'),
  );
  assert.ok(testOnly !== undefined);
  expectDataError(() => resolveForgetSet(ds, `user:${testOnly}`), /has no train records \(only validation\/test\)/);
});

test('writeForgetSet writes forget.json atomically and it reads back with a matching hash', () => {
  const out = join(dir, 'run-1');
  const fs = resolveForgetSet(ds, 'user:tomwhore@slack.net+random:0.001');
  const path = writeForgetSet(out, fs);
  assert.deepEqual(readdirSync(out), ['forget.json'], 'no temp file left behind');
  const json = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  assert.deepEqual(Object.keys(json), ['spec', 'count', 'hash', 'ids', 'warnings']);
  assert.equal(json.count, fs.ids.length);
  assert.equal(json.count, 70);
  assert.deepEqual(readForgetSet(out), fs);
  writeFileSync(path, JSON.stringify({ ...json, ids: fs.ids.slice(1) }));
  expectDataError(() => readForgetSet(out), /count or hash does not match/);
});

test('sotu: forgetting George Washington removes the whole "none" class from train, with a warning', () => {
  const sotu = getBuiltinDataset('sotu', { seed: 42 });
  const fs = resolveForgetSet(sotu, 'user:George Washington');
  assert.equal(fs.ids.length, 56);
  assert.deepEqual(fs.warnings, ["forget set contains every train record of class 'none' (56): the class would vanish from the retain set"]);
  assert.equal(resolveForgetSet(sotu, 'user:Theodore Roosevelt').ids.length, 576);
});

test('largest-user[:K]: parsed alone, with a rank and in a union; bad ranks are errors', () => {
  assert.deepEqual(parseForgetSpec('largest-user'), [{ kind: 'largest-user', rank: 1 }]);
  assert.deepEqual(parseForgetSpec('largest-user:3'), [{ kind: 'largest-user', rank: 3 }]);
  assert.deepEqual(parseForgetSpec('user:a+b@x.org+largest-user+random:0.1+largest-user:2'), [
    { kind: 'user', name: 'a+b@x.org' },
    { kind: 'largest-user', rank: 1 },
    { kind: 'random', fraction: 0.1 },
    { kind: 'largest-user', rank: 2 },
  ]);
  // Only a whole "largest-user" term starts a new term: a name that merely begins with it stays a value.
  assert.deepEqual(parseForgetSpec('user:x+largest-users.txt'), [{ kind: 'user', name: 'x+largest-users.txt' }]);
  for (const bad of ['0', '-1', '1.5', 'two', '']) {
    expectDataError(() => parseForgetSpec(`largest-user:${bad}`), /largest-user:K needs a positive integer rank/);
  }
});

test('largest-user resolves to the sender with the most train records (K-th with :K) and says who', () => {
  const first = resolveForgetSet(ds, 'largest-user');
  assert.deepEqual(first.ids, resolveForgetSet(ds, 'user:rssfeeds@spamassassin.taint.org').ids);
  assert.deepEqual(first.notes, ["largest-user = user 'rssfeeds@spamassassin.taint.org' (500 train records)"]);
  const [, second] = largestUsers(ds, 2);
  const secondSet = resolveForgetSet(ds, 'largest-user:2');
  assert.equal(secondSet.ids.length, second?.count);
  assert.deepEqual(secondSet.ids, resolveForgetSet(ds, `user:${second?.user}`).ids);
  expectDataError(() => resolveForgetSet(ds, 'largest-user:100000'), /dataset 'spamassassin' has only \d+ users with train records/);
});

test('largest-user: ties go to the alphabetically first name; a dataset without users is an error', () => {
  const record = (id: string, user: string | undefined) => ({ id, text: `text ${id}`, labelName: id.endsWith('1') ? 'a' : 'b', split: 'train' as const, where: { file: 'mem' }, ...(user ? { user } : {}) });
  const tied = buildDataset('tied', [record('z1', 'zed'), record('z2', 'zed'), record('a1', 'amy'), record('a2', 'amy'), record('b1', 'bob')]);
  assert.deepEqual(resolveForgetSet(tied, 'largest-user').ids, ['a1', 'a2']);
  assert.deepEqual(resolveForgetSet(tied, 'largest-user:2').ids, ['z1', 'z2']);
  assert.deepEqual(resolveForgetSet(tied, 'largest-user:3').ids, ['b1']);
  const anonymous = buildDataset('anonymous', [record('x1', undefined), record('x2', undefined)]);
  expectDataError(() => resolveForgetSet(anonymous, 'largest-user'), /dataset 'anonymous' records no users/);
});

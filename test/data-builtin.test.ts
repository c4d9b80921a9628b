import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  countByLabel,
  countBySplit,
  datasetHash,
  distinctUsers,
  getBuiltinDataset,
  largestUsers,
  listBuiltinDatasets,
  loadDataset,
  splitOf,
} from '../src/data';

test('registry lists the five built-ins and rejects unknown names', () => {
  assert.deepEqual(listBuiltinDatasets(), ['spamassassin', 'sotu', 'brown', 'brown-pos', 'brown-pos-full']);
  assert.throws(() => getBuiltinDataset('imdb'), /imdb: unknown built-in dataset \(known: spamassassin, sotu, brown, brown-pos, brown-pos-full\)/);
});

test('spamassassin: 6,046 emails, ham/spam counts, senders, largest sender, load time', () => {
  const t0 = performance.now();
  const ds = getBuiltinDataset('spamassassin', { seed: 42 });
  const ms = performance.now() - t0;
  assert.ok(ms < 5000, `full load took ${ms.toFixed(0)} ms`);
  assert.equal(ds.examples.length, 6046);
  assert.deepEqual(ds.labels, ['ham', 'spam']);
  // easy-ham-1 2500 + easy-ham-2 1400 + hard-ham-1 250 = 4150; spam-1 500 + spam-2 1396 = 1896.
  assert.deepEqual(countByLabel(ds.examples), { ham: 4150, spam: 1896 });
  assert.equal(distinctUsers(ds.examples), 2558);
  assert.deepEqual(
    ds.examples.filter((e) => e.user === undefined).map((e) => e.id),
    ['spam-2/00030', 'spam-2/00049', 'spam-2/00114'],
  );
  assert.ok(ds.examples.every((e) => e.text.length > 0 && e.text.length <= 2000 && !/\s\s/.test(e.text)));
  assert.equal(ds.examples.filter((e) => e.user === 'rssfeeds@spamassassin.taint.org').length, 623);
  assert.deepEqual(countBySplit(ds.examples), { train: 4861, validation: 571, test: 614 });
  assert.deepEqual(countByLabel(splitOf(ds, 'train')), { ham: 3328, spam: 1533 });
  assert.deepEqual(largestUsers(ds, 3), [
    { user: 'rssfeeds@spamassassin.taint.org', count: 500 },
    { user: 'tomwhore@slack.net', count: 65 },
    { user: 'garym@canada.com', count: 63 },
  ]);
  const first = ds.examples.find((e) => e.id === 'spam-1/00001');
  assert.equal(first?.user, '12a1mailbot1@web.de');
  assert.match(first?.text ?? '', /^Life Insurance - Why Pay More\? Save up to 70% on Life Insurance\./);
  assert.equal(ds.card?.source.version, '0.2.3');
  assert.equal(ds.card?.records, 6046);
});

test('splits are deterministic for a seed and differ for another seed', () => {
  const a = getBuiltinDataset('spamassassin', { seed: 42 });
  const b = getBuiltinDataset('spamassassin', { seed: 42 });
  const c = getBuiltinDataset('spamassassin', { seed: 7 });
  assert.equal(datasetHash(splitOf(a, 'train')), datasetHash(splitOf(b, 'train')));
  assert.equal(datasetHash(a.examples), datasetHash(c.examples), 'same records, same order');
  assert.notEqual(datasetHash(splitOf(a, 'train')), datasetHash(splitOf(c, 'train')));
  assert.deepEqual(countBySplit(c.examples), { train: 4815, validation: 632, test: 599 });
  assert.deepEqual(largestUsers(c, 1), [{ user: 'rssfeeds@spamassassin.taint.org', count: 488 }]);
});

test('sotu: 8,226 passages from 233 addresses, 8 parties kept, 43 presidents', () => {
  const ds = getBuiltinDataset('sotu', { seed: 42 });
  assert.equal(ds.examples.length, 8226);
  assert.equal(new Set(ds.examples.map((e) => e.id.split('#')[0])).size, 233);
  assert.deepEqual(ds.labels, ['Democratic', 'Democratic-Republican', 'Federalist', 'National Union', 'Republican', 'Whig', 'Whig & Democratic', 'none']);
  assert.deepEqual(countByLabel(ds.examples), {
    none: 69,
    Federalist: 32,
    'Democratic-Republican': 522,
    Democratic: 3526,
    'Whig & Democratic': 153,
    Whig: 176,
    Republican: 3574,
    'National Union': 174,
  });
  assert.equal(distinctUsers(ds.examples), 43);
  assert.deepEqual(largestUsers(ds, 2), [
    { user: 'Theodore Roosevelt', count: 576 },
    { user: 'Grover Cleveland', count: 377 },
  ]);
  const words = ds.examples.map((e) => e.text.split(' ').length);
  assert.ok(Math.max(...words) <= 300, 'no passage above 300 words');
  assert.equal(ds.examples[0]?.id, '1790_george_washington_n#001');
  assert.equal(ds.examples[0]?.user, 'George Washington');
  assert.match(ds.examples[0]?.text ?? '', /^Fellow-Citizens of the Senate and House of Representatives:/);
});

test('brown: 6,384 passages from 500 documents in 15 genres', () => {
  const ds = getBuiltinDataset('brown', { seed: 42 });
  assert.equal(ds.examples.length, 6384);
  assert.equal(ds.labels.length, 15);
  assert.equal(distinctUsers(ds.examples), 500);
  assert.deepEqual(countByLabel(ds.examples), {
    news: 560,
    editorial: 344,
    reviews: 224,
    religion: 216,
    hobbies: 466,
    lore: 608,
    belles_lettres: 942,
    government: 389,
    learned: 1011,
    fiction: 373,
    mystery: 309,
    science_fiction: 78,
    adventure: 376,
    romance: 374,
    humor: 114,
  });
  const words = ds.examples.map((e) => e.text.split(' ').length);
  assert.ok(Math.max(...words) <= 220 && Math.min(...words) >= 30, `${Math.min(...words)}..${Math.max(...words)} words`);
  assert.equal(ds.examples[0]?.id, 'ca01#01');
  assert.equal(ds.examples[0]?.labelName, 'news');
  assert.match(ds.examples[0]?.text ?? '', /^The Fulton County Grand Jury said Friday an investigation of Atlanta's recent primary election produced "no evidence" that any irregularities took place\./);
  assert.ok(ds.examples.every((e) => !/\/[a-z$*+-]+\b/.test(e.text.split(' ')[0] ?? '')), 'POS tags stripped');
});

test('loadDataset accepts a built-in name and logs the per-split counts', async () => {
  const lines: string[] = [];
  const ds = await loadDataset('brown', { seed: 42, log: (m) => lines.push(m) });
  assert.deepEqual(countBySplit(ds.examples), { train: 5105, validation: 624, test: 655 });
  assert.deepEqual(lines, ['loaded built-in brown: 6384 rows: train=5105 validation=624 test=655']);
});

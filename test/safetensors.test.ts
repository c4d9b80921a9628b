// safetensors read/write: round trips, half precision, and clear rejection of bad files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { tensor, scope, type Tensor } from '../src/engine';
import { saveSafetensors, loadSafetensors, readSafetensors, SafetensorsError } from '../src/io/safetensors';
import { assertClose } from './helpers/gradcheck';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'deepcut-st-'));

test('round trip of F32, F64, I64, F16, BF16 and BOOL tensors with metadata', () => scope(() => {
  const dir = tmp();
  const file = path.join(dir, 'm.safetensors');
  const tensors = new Map<string, Tensor>([
    ['a.weight', tensor([[1.5, -2], [3, 4.25]])],
    ['b.f64', tensor(Float64Array.from([Math.PI]))],
    ['c.ids', tensor([1, 2 ** 40, -3], { dtype: 'int64' })],
    ['d.half', tensor([0.1, 65504]).to('float16')],
    ['e.bf16', tensor([1.0078125, -300]).to('bfloat16')],
    ['f.mask', tensor([1, 0], { dtype: 'bool' })],
  ]);
  saveSafetensors(file, tensors, { format: 'pt' });
  const raw = readSafetensors(file);
  assert.deepEqual(raw.metadata, { format: 'pt' });
  assert.deepEqual([...raw.tensors.keys()], ['a.weight', 'b.f64', 'c.ids', 'd.half', 'e.bf16', 'f.mask']);
  assert.deepEqual(raw.tensors.get('d.half')!.dtype, 'F16');
  assert.deepEqual(raw.tensors.get('e.bf16')!.dtype, 'BF16');
  // header length is a multiple of 8 so the data section is aligned
  assert.equal(Number(fs.readFileSync(file).readBigUInt64LE(0)) % 8, 0);
  const back = loadSafetensors(file);
  assert.deepEqual(back.get('a.weight')!.shape, [2, 2]);
  assert.deepEqual(back.get('a.weight')!.toNumbers(), [1.5, -2, 3, 4.25]);
  assert.deepEqual(back.get('b.f64')!.toNumbers(), [Math.PI]);
  assert.deepEqual(back.get('c.ids')!.toNumbers(), [1, 2 ** 40, -3]);
  assert.equal(back.get('d.half')!.dtype, 'float32', 'half precision is upcast by default');
  assertClose(back.get('d.half')!.toArray() as Float32Array, [0.0999755859375, 65504], 0);
  assertClose(back.get('e.bf16')!.toArray() as Float32Array, [1.0078125, -300], 0);
  assert.deepEqual(back.get('f.mask')!.toNumbers(), [1, 0]);
  assert.equal(loadSafetensors(file, { upcastHalf: false }).get('d.half')!.dtype, 'float16');
  fs.rmSync(dir, { recursive: true });
}));

test('reads a file written by the Python reference writer (parity fixtures)', () => scope(() => {
  const file = path.join(__dirname, '../../test/fixtures/parity/bert/model.safetensors');
  if (!fs.existsSync(file)) return;
  const t = loadSafetensors(file);
  assert.deepEqual(t.get('bert.embeddings.word_embeddings.weight')!.shape, [100, 32]);
  const half = loadSafetensors(path.join(__dirname, '../../test/fixtures/parity/bert_f16/model.safetensors'));
  const diff = half.get('classifier.weight')!.sub(t.get('classifier.weight')!).abs().maxAll().item();
  assert.ok(diff < 1e-3, `F16 copy differs from F32 by ${diff}`);
}));

test('a truncated file is rejected with an error naming the file', () => scope(() => {
  const dir = tmp();
  const file = path.join(dir, 'good.safetensors');
  saveSafetensors(file, new Map([['w', tensor([1, 2, 3, 4])]]));
  const bytes = fs.readFileSync(file);
  const cut = path.join(dir, 'cut.safetensors');
  fs.writeFileSync(cut, bytes.subarray(0, bytes.length - 3));
  assert.throws(() => readSafetensors(cut), (e: unknown) => e instanceof SafetensorsError && e.message.includes(cut) && /tensor 'w': data ends at byte 16 but the data section has 13 bytes \(truncated\?\)/.test(e.message));
  fs.writeFileSync(cut, bytes.subarray(0, 5));
  assert.throws(() => readSafetensors(cut), /shorter than the 8-byte header length/);
  fs.writeFileSync(cut, bytes.subarray(0, 20));
  assert.throws(() => readSafetensors(cut), /header claims \d+ bytes but only 12 follow/);
  fs.rmSync(dir, { recursive: true });
}));

test('malformed headers are rejected with the reason', () => {
  const dir = tmp();
  const write = (header: string, data = Buffer.alloc(0)) => {
    const h = Buffer.from(header);
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(h.length));
    const file = path.join(dir, 'bad.safetensors');
    fs.writeFileSync(file, Buffer.concat([len, h, data]));
    return file;
  };
  assert.throws(() => readSafetensors(write('{not json')), /header is not valid UTF-8 JSON/);
  assert.throws(() => readSafetensors(write('[1,2]')), /header is not a JSON object/);
  assert.throws(() => readSafetensors(write('{"w":{"dtype":"F8","shape":[1],"data_offsets":[0,1]}}', Buffer.alloc(1))), /tensor 'w': unsupported dtype "F8"/);
  assert.throws(() => readSafetensors(write('{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}', Buffer.alloc(4))), /tensor 'w': 4 bytes for shape \[2\] F32, expected 8/);
  assert.throws(() => readSafetensors(write('{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}', Buffer.alloc(4))), /shape must be an array of non-negative integers/);
  assert.throws(() => readSafetensors(write('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', Buffer.alloc(8))), /overlap/);
  assert.throws(() => readSafetensors(path.join(dir, 'absent.safetensors')), /absent\.safetensors: cannot read/);
  fs.rmSync(dir, { recursive: true });
});

test('saving never leaves a partial file: the old file survives a failed write', () => scope(() => {
  const dir = tmp();
  const file = path.join(dir, 'keep.safetensors');
  saveSafetensors(file, new Map([['w', tensor([7])]]));
  const disposed = tensor([1]);
  disposed.dispose();
  assert.throws(() => saveSafetensors(file, new Map([['w', disposed]])), /used after dispose/);
  assert.deepEqual(loadSafetensors(file).get('w')!.toNumbers(), [7]);
  assert.deepEqual(fs.readdirSync(dir), ['keep.safetensors'], 'no temp files left behind');
  fs.rmSync(dir, { recursive: true });
}));

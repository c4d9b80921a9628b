// Devices through the stack: the device string, tensor creation, Module.to() (parameters,
// buffers, gradients), batches, optimizer state, safetensors across devices, the USE-Lite timing
// signal made on the device, and --device on the CLI. Runs on DEEPCUT_TEST_DEVICE (default cpu;
// tools/gpu/check.sh runs it with cuda): on a CPU-only build the CPU side of every check runs and
// a GPU is refused clearly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  AdamW, DeviceError, F, arange, clipGradNormOnDevice, cudaDeviceCount, fromBytes, full, manualSeed, noGrad, ones, parseDeviceSpec, rand,
  randint, randn, randperm, resolveDevice, scope, tensor, zeros, type Tensor,
} from '../src/engine';
import { createModel, loadPretrained, savePretrained, type SequenceClassifier } from '../src/model';
import { UseLiteEmbeddings, defaultInvTimescales } from '../src/model/use-lite';
import { encoderConfig } from '../src/model/config';
import type { Module } from '../src/nn';
import { loadDatasetFile, splitOf, type Dataset } from '../src/data';
import { makeBatch } from '../src/train/batches';
import type { TextTokenizer } from '../src/text/tokenizer';
import { makeTinyBase, SPAM_SLICE } from './helpers/tiny-run';

const ROOT = path.join(__dirname, '../..');
const CLI = path.join(ROOT, 'dist/src/cli/main.js');
/** The device under test, concrete ('cpu', 'cuda:0'). */
const DEVICE = resolveDevice(parseDeviceSpec(process.env.DEEPCUT_TEST_DEVICE ?? 'cpu', 'DEEPCUT_TEST_DEVICE'));
const HAS_GPU = cudaDeviceCount() > 0;

type Classifier = SequenceClassifier & Module;

interface Fixture { root: string; data: Dataset; base: string; tokenizer: TextTokenizer }
let cached: Promise<Fixture> | undefined;
function fixture(): Promise<Fixture> {
  cached ??= (async () => {
    const data = await loadDatasetFile(SPAM_SLICE);
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'deepcut-device-'));
    const base = path.join(root, 'base');
    const { model, tokenizer } = makeTinyBase(base, data);
    model.dispose();
    return { root, data, base, tokenizer };
  })();
  return cached;
}
test.after(async () => {
  if (cached) fs.rmSync((await cached).root, { recursive: true, force: true });
});

function cli(args: readonly string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: ROOT, env: { ...process.env, DEEPCUT_THREADS: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function tinyClassifier(modelType: 'bert' | 'use-lite'): Classifier {
  manualSeed(0);
  return createModel({
    modelType, vocabSize: 50, hiddenSize: 32, ...(modelType === 'use-lite' ? { embeddingSize: 16 } : {}), numLayers: 2, numHeads: 2,
    intermediateSize: 64, maxPositionEmbeddings: 16, labels: ['a', 'b', 'c'],
  }) as Classifier;
}

const values = (t: Tensor): number[] => t.toNumbers();

test('device strings: auto, cpu, cuda, cuda:N; anything else is refused naming its source', () => {
  for (const ok of ['auto', 'cpu', 'cuda', 'cuda:0', 'cuda:1', 'cuda:12']) assert.equal(parseDeviceSpec(ok, '--device'), ok);
  for (const bad of ['', 'gpu', 'CUDA', 'cuda:', 'cuda:-1', 'cuda:x', 'cuda:1:2', ' cpu', 'mps', 'cpu:0']) {
    assert.throws(() => parseDeviceSpec(bad, '--device'), (err: unknown) => err instanceof DeviceError && /^--device must be auto, cpu, cuda or cuda:N, got '/.test(err.message), `'${bad}'`);
  }
  assert.equal(resolveDevice('cpu'), 'cpu');
  assert.equal(resolveDevice('auto'), HAS_GPU ? 'cuda:0' : 'cpu');
});

test('a GPU is refused clearly by a build without one', { skip: HAS_GPU && 'this libtorch sees a GPU' }, () => {
  for (const spec of ['cuda', 'cuda:1'] as const) {
    assert.throws(() => resolveDevice(spec, '--device'), (err: unknown) => err instanceof DeviceError && /^--device cuda(:1)?: this deepcut addon's libtorch \(.+\) has no usable GPU/.test(err.message));
  }
});

test('GPU indices past the last one are refused', { skip: !HAS_GPU && 'no GPU' }, () => {
  assert.throws(() => resolveDevice(`cuda:${cudaDeviceCount()}`, '--device'), /--device cuda:\d+: libtorch sees \d+ GPU\(s\)/);
});

test('every constructor makes its tensor on the device asked for (default cpu)', () => {
  scope(() => {
    const made: [string, Tensor][] = [
      ['zeros', zeros([2], { device: DEVICE })], ['ones', ones([2], { dtype: 'int64', device: DEVICE })], ['full', full([2], 3, { device: DEVICE })],
      ['randn', randn([2], { device: DEVICE })], ['rand', rand([2], { device: DEVICE })], ['arange', arange(0, 3, 1, { device: DEVICE })],
      ['randint', randint(0, 5, [2], { device: DEVICE })], ['randperm', randperm(4, { device: DEVICE })],
      ['tensor (numbers)', tensor([[1, 2], [3, 4]], { dtype: 'int64', device: DEVICE })], ['tensor (typed)', tensor(Float32Array.of(1, 2), { device: DEVICE })],
      ['fromBytes', fromBytes(new Uint8Array(Float32Array.of(1.5, 2.5).buffer), 'float32', [2], DEVICE)],
    ];
    for (const [name, t] of made) assert.equal(t.device, DEVICE, name);
    assert.equal(zeros([1]).device, 'cpu');
    assert.equal(zeros([1], 'int64').dtype, 'int64', 'the older dtype-only form still works');
    assert.deepEqual(values(made[8]![1]), [1, 2, 3, 4], 'values arrive intact');
    assert.deepEqual(values(made[10]![1]), [1.5, 2.5]);
  });
});

for (const modelType of ['bert', 'use-lite'] as const) {
  test(`${modelType}: Module.to() moves every parameter, buffer and gradient in place and back without changing a value`, () => {
    const model = tinyClassifier(modelType);
    try {
      const before = new Map([...model.stateDict()].map(([k, t]) => [k, values(t)]));
      const objects = new Map(model.stateDict());
      scope(() => {
        const ids = tensor([[5, 6, 7, 8]], { dtype: 'int64' });
        F.crossEntropy(model.forward({ inputIds: ids }).logits, tensor([1], { dtype: 'int64' })).backward();
      });
      const grads = new Map(model.namedParameters().map(([k, p]) => [k, scope(() => values(p.grad!))]));
      assert.equal(model.device, 'cpu');

      model.to(DEVICE);
      assert.equal(model.device, DEVICE);
      for (const [, m] of model.namedModules()) assert.equal(m.device, DEVICE, 'every submodule knows its device');
      for (const [name, t] of model.stateDict()) {
        assert.equal(t.device, DEVICE, name);
        assert.equal(t, objects.get(name), `${name}: the same tensor object (fields and optimizers see the move)`);
      }
      for (const [name, p] of model.namedParameters()) {
        assert.ok(p.requiresGrad, `${name} still requires grad`);
        scope(() => assert.equal(p.grad?.device, DEVICE, `${name}'s gradient moved too`));
      }

      model.to('cpu');
      for (const [name, t] of model.stateDict()) {
        assert.equal(t.device, 'cpu', name);
        assert.deepEqual(values(t), before.get(name), `${name}: the round trip changes no value`);
      }
      for (const [name, p] of model.namedParameters()) scope(() => assert.deepEqual(values(p.grad!), grads.get(name), `${name}'s gradient`));
    } finally {
      model.dispose();
    }
  });
}

test('a training step on the device: batches, logits and optimizer state live there, and the loss matches the CPU run', async () => {
  const { data, tokenizer } = await fixture();
  const examples = splitOf(data, 'train').slice(0, 8);
  const run = (device: string): { loss: number; batchDevices: string[]; stateDevices: string[]; paramDevices: string[] } => {
    manualSeed(0);
    const m = createModel({ vocabSize: tokenizer.vocabSize, hiddenSize: 32, numLayers: 1, numHeads: 2, intermediateSize: 64, maxPositionEmbeddings: 64, labels: data.labels }) as Classifier;
    try {
      m.to(device);
      m.eval(); // no dropout: the two devices compute the same function
      const optimizer = new AdamW(m.parameters(), { lr: 1e-3 });
      return scope(() => {
        const batch = makeBatch(tokenizer, examples, 32, m.device);
        const logits = m.forward(batch).logits;
        const loss = F.crossEntropy(logits, batch.labels);
        loss.backward();
        clipGradNormOnDevice(m.parameters(), 1.0);
        optimizer.step();
        const after = F.crossEntropy(noGrad(() => m.forward(batch).logits), batch.labels).item();
        return {
          loss: after,
          batchDevices: [batch.inputIds, batch.attentionMask!, batch.tokenTypeIds!, batch.labels, logits].map((t) => t.device),
          stateDevices: optimizer.stateDevices(),
          paramDevices: m.parameters().map((p) => p.device),
        };
      });
    } finally {
      m.dispose();
    }
  };
  const here = run(DEVICE);
  assert.ok(here.batchDevices.every((d) => d === DEVICE), `batch tensors on ${DEVICE}: ${here.batchDevices.join(', ')}`);
  assert.ok(here.paramDevices.every((d) => d === DEVICE));
  assert.equal(here.stateDevices.length, 2 * here.paramDevices.length, "AdamW's two moments per parameter");
  assert.ok(here.stateDevices.every((d) => d === DEVICE), `optimizer state on ${DEVICE}`);
  assert.ok(Number.isFinite(here.loss));
  if (DEVICE !== 'cpu') {
    const cpu = run('cpu');
    assert.ok(Math.abs(cpu.loss - here.loss) <= 1e-4, `loss after one step: cpu ${cpu.loss}, ${DEVICE} ${here.loss}`);
  }
});

test("optimizer state saved on one device loads onto the parameters' device", () => {
  const make = (device: string): { model: Classifier; optimizer: AdamW } => {
    const model = tinyClassifier('bert').to(device);
    return { model, optimizer: new AdamW(model.parameters(), { lr: 1e-3 }) };
  };
  const a = make(DEVICE);
  const b = make('cpu');
  try {
    scope(() => {
      F.crossEntropy(a.model.forward({ inputIds: tensor([[1, 2, 3]], { dtype: 'int64', device: DEVICE }) }).logits, tensor([0], { dtype: 'int64', device: DEVICE })).backward();
      a.optimizer.step();
    });
    b.optimizer.loadStateBytes(a.optimizer.stateBytes());
    assert.ok(b.optimizer.stateDevices().length > 0);
    assert.ok(b.optimizer.stateDevices().every((d) => d === 'cpu'), `state saved on ${DEVICE} resumes on the CPU`);
  } finally {
    a.model.dispose();
    b.model.dispose();
  }
});

test('USE-Lite: the timing signal made on the device equals the host formula it replaced', () => {
  const config = encoderConfig({ modelType: 'use-lite', vocabSize: 20, hiddenSize: 32, embeddingSize: 16, numLayers: 1, numHeads: 2, intermediateSize: 32, maxPositionEmbeddings: 40, labels: ['a', 'b'] });
  const embeddings = new UseLiteEmbeddings(config);
  try {
    noGrad(() => embeddings.word_embeddings.weight.fill_(0)); // x = 2·0 + timing
    embeddings.eval().to(DEVICE);
    const seqLen = 37;
    const got = scope(() => values(embeddings.forward(zeros([1, seqLen], { dtype: 'int64', device: DEVICE }))));
    const inv = defaultInvTimescales(16);
    let worst = 0;
    for (let p = 0; p < seqLen; p++) {
      for (let i = 0; i < inv.length; i++) {
        const angle = Math.fround(p * inv[i]!);
        worst = Math.max(worst, Math.abs(got[p * 16 + i]! - Math.fround(Math.sin(angle))), Math.abs(got[p * 16 + 8 + i]! - Math.fround(Math.cos(angle))));
      }
    }
    // The CPU reproduces the host loop's float32 values (1e-7: libm and V8 may round a sine differently in the last bit).
    assert.ok(worst <= (DEVICE === 'cpu' ? 1.2e-7 : 1e-6), `max abs difference ${worst}`);
  } finally {
    embeddings.dispose();
  }
});

test("savePretrained writes a device model's tensors; loadPretrained puts them on the device asked for", async () => {
  const { root } = await fixture();
  const model = tinyClassifier('use-lite');
  const dir = path.join(root, 'saved-from-device');
  try {
    const expected = new Map([...model.stateDict()].map(([k, t]) => [k, values(t)]));
    model.to(DEVICE);
    savePretrained(model, dir, { overwrite: true });
    for (const device of [DEVICE, 'cpu'] as const) {
      const loaded = loadPretrained(dir, { device }).model;
      try {
        assert.equal(loaded.device, device);
        for (const [name, t] of loaded.stateDict()) {
          assert.equal(t.device, device, name);
          assert.deepEqual(values(t), expected.get(name), `${name} survives the round trip through the file`);
        }
      } finally {
        loaded.dispose();
      }
    }
  } finally {
    model.dispose();
  }
});

test('--device: a malformed value is a usage error naming the flag (exit 2), on every command that computes', async () => {
  const { base } = await fixture();
  const commands: string[][] = [
    ['predict', '--model', base, '--text', 'hi'], ['finetune', '--data', 'x', '--out', 'y'], ['unlearn', '--model', 'x', '--data', 'x', '--forget', 'random:0.1', '--out', 'y'],
    ['eval', '--model', 'x', '--data', 'x', '--forget', 'random:0.1', '--out', 'y'], ['experiment', '--config', 'x'], ['demo'], ['pretrain', '--out', 'y'],
  ];
  for (const args of commands) {
    const r = cli([...args, '--device', 'gpu']);
    assert.equal(r.code, 2, `${args[0]}: exit ${r.code}, ${r.stderr}`);
    // The others stop earlier at their missing inputs (also exit 2): the device is checked after the other flags.
    if (['predict', 'finetune', 'pretrain', 'unlearn'].includes(args[0]!)) {
      assert.match(r.stderr, /--device must be auto, cpu, cuda or cuda:N, got 'gpu'/, args[0]);
    }
    assert.match(cli([args[0]!, '--help']).stdout, /--device <device>\s+where to compute: auto, cpu, cuda or cuda:N/, `${args[0]} --help lists --device`);
  }
});

test('--device cuda on a build without a GPU says so and exits 2', { skip: HAS_GPU && 'this libtorch sees a GPU' }, async () => {
  const { base } = await fixture();
  const r = cli(['predict', '--model', base, '--text', 'hello', '--device', 'cuda']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /^deepcut: --device cuda: this deepcut addon's libtorch \(.+\) has no usable GPU .*use cpu\n$/);
  assert.equal(r.stdout, '');
});

test('deepcut finetune --device records the device in train.json and runs there', async () => {
  const { root, base } = await fixture();
  const out = path.join(root, 'finetuned');
  const r = cli(['finetune', '--model', base, '--data', SPAM_SLICE, '--out', out, '--epochs', '1', '--max-length', '32', '--no-linear-probe', '--device', DEVICE]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`threads, device ${DEVICE}\\n`));
  const record = JSON.parse(fs.readFileSync(path.join(out, 'train.json'), 'utf8')) as { provenance: { device?: string }; epochs: { trainLoss: number }[] };
  assert.equal(record.provenance.device, DEVICE);
  assert.ok(Number.isFinite(record.epochs[0]!.trainLoss));
  const predicted = cli(['predict', '--model', out, '--text', 'free money now', '--device', DEVICE]);
  assert.equal(predicted.code, 0, predicted.stderr);
  assert.ok(['spam', 'ham'].includes((JSON.parse(predicted.stdout) as { label: string }).label));
});

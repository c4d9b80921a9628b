// For tools/gpu/check.sh: deepcut's logits for Hugging Face folders written by transformers
// (tools/gpu/hf_models.py), on a device, to compare with transformers' own on the same inputs.
//
//   node dist/bench/gpu/hf-logits.js --cases FILE --device cuda --out FILE
// FILE (from hf_models.py): [{ name, dir, input_ids: number[][], attention_mask: number[][] }].
// Writes [{ name, logits: number[][], architecture, device }] and prints one line per model.
import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import { noGrad, parseDeviceSpec, resolveDevice, scope, tensor } from '../../src/engine';
import { loadPretrained } from '../../src/model';

interface Case { name: string; dir: string; input_ids: number[][]; attention_mask: number[][] }

const { values } = parseArgs({ options: { cases: { type: 'string' }, device: { type: 'string' }, out: { type: 'string' } } });
if (values.cases === undefined || values.out === undefined) throw new Error('usage: hf-logits.js --cases FILE --out FILE [--device cpu|cuda[:N]]');
const device = resolveDevice(parseDeviceSpec(values.device ?? 'cpu', '--device'), '--device');
const cases = JSON.parse(fs.readFileSync(values.cases, 'utf8')) as Case[];
const results = cases.map((c) => {
  const { model, report } = loadPretrained(c.dir, { device });
  try {
    if (report.newlyInitialized.length > 0) throw new Error(`${c.dir}: tensors missing from the checkpoint (${report.newlyInitialized.join(', ')}): the folder did not load completely`);
    model.eval();
    const shape = [c.input_ids.length, c.input_ids[0]!.length];
    const logits = noGrad(() => scope(() => {
      const batch = {
        inputIds: tensor(c.input_ids.flat(), { shape, dtype: 'int64', device }),
        attentionMask: tensor(c.attention_mask.flat(), { shape, dtype: 'int64', device }),
      };
      return model.forward(batch).logits.toNumbers();
    }));
    const k = model.numLabels;
    console.log(`${c.name}: ${model.architecture} loaded on ${model.device}, logits [${shape[0]}, ${k}]`);
    return { name: c.name, architecture: model.architecture, device: model.device, logits: Array.from({ length: shape[0]! }, (_, i) => logits.slice(i * k, (i + 1) * k)) };
  } finally {
    model.dispose();
  }
});
fs.writeFileSync(values.out, JSON.stringify(results));

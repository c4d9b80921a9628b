// Reads a TF.js graph model's weights (model.json's weightsManifest + binary shards) by name.
// Only float32 and int32 entries occur in the graphs we convert; others are refused by name.
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface TfjsWeight {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  values: Float32Array | Int32Array;
}

interface ManifestEntry { name: string; shape: number[]; dtype: string }
interface ManifestGroup { paths: string[]; weights: ManifestEntry[] }

/** All weights of `modelJson`, in manifest order; errors name the file and the weight. */
export function readTfjsWeights(modelJson: string): Map<string, TfjsWeight> {
  let json: { weightsManifest?: ManifestGroup[] };
  try {
    json = JSON.parse(fs.readFileSync(modelJson, 'utf8')) as { weightsManifest?: ManifestGroup[] };
  } catch (err) {
    throw new Error(`${modelJson}: cannot read the TF.js model: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!Array.isArray(json.weightsManifest)) throw new Error(`${modelJson}: no weightsManifest (not a TF.js graph model)`);
  const out = new Map<string, TfjsWeight>();
  for (const group of json.weightsManifest) {
    const buffers = group.paths.map((p) => fs.readFileSync(path.join(path.dirname(modelJson), p)));
    const bytes = Buffer.concat(buffers);
    let offset = 0;
    for (const w of group.weights) {
      if (w.dtype !== 'float32' && w.dtype !== 'int32') throw new Error(`${modelJson}: weight '${w.name}' has dtype ${w.dtype}; only float32/int32 are read`);
      const count = w.shape.reduce((a, b) => a * b, 1);
      const size = count * 4;
      if (offset + size > bytes.length) throw new Error(`${modelJson}: shards end before weight '${w.name}' (need ${offset + size} bytes, have ${bytes.length})`);
      const copy = new Uint8Array(bytes.subarray(offset, offset + size)); // aligned copy
      const values = w.dtype === 'float32' ? new Float32Array(copy.buffer) : new Int32Array(copy.buffer);
      out.set(w.name, { name: w.name, shape: [...w.shape], dtype: w.dtype, values });
      offset += size;
    }
    if (offset !== bytes.length) throw new Error(`${modelJson}: ${bytes.length - offset} bytes left over in the shards of a weight group`);
  }
  return out;
}

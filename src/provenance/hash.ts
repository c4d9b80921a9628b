// Hashes anyone can recompute with coreutils (docs/provenance.md):
//
//   file hash     = SHA-256 of the file's bytes, as `sha256sum FILE` prints it;
//   manifest      = one line per model file, `SHA256  RELATIVE/PATH\n` (sha256sum's own format,
//                   two spaces), sorted by path in byte order (LC_ALL=C sort);
//   manifest hash = SHA-256 of that manifest text.
//
// So `cd MODEL && sha256sum $(LIST | LC_ALL=C sort) | sha256sum` gives a folder's manifest hash,
// LIST being the model files below (config, weights, tokenizer; SISA: sisa.json, shard-K/, checkpoints/).
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TOKENIZER_FILES } from '../model/hf';

/** SHA-256 (hex) of a file's bytes: what `sha256sum FILE` prints before the name. */
export function sha256File(file: string): string {
  const hash = createHash('sha256');
  const fd = fs.openSync(file, 'r');
  try {
    const buffer = Buffer.allocUnsafe(1 << 20);
    for (;;) {
      const n = fs.readSync(fd, buffer, 0, buffer.length, null);
      if (n === 0) break;
      hash.update(buffer.subarray(0, n));
    }
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('hex');
}

export function sha256Text(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

const byteOrder = (a: string, b: string): number => (Buffer.compare(Buffer.from(a), Buffer.from(b)));

/** Whether a path (relative, '/'-separated) is one of the files that define a model. */
export function isModelFile(rel: string): boolean {
  const parts = rel.split('/');
  if (parts[0] === 'checkpoint') return false; // an interrupted run's state, not the model
  const name = parts[parts.length - 1]!;
  if (name.startsWith('.')) return false;
  if (name.endsWith('.safetensors') || name.endsWith('.safetensors.index.json')) return true;
  if (name === 'config.json' || name === 'sisa.json') return true;
  return (TOKENIZER_FILES as readonly string[]).includes(name);
}

/** Every file below `dir` (relative, '/'-separated, byte order), skipping dot files. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const child = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) walk(child);
      else if (entry.isFile()) out.push(child);
    }
  };
  walk('');
  return out.sort(byteOrder);
}

/** The model files of a folder (see isModelFile), in byte order. */
export function modelFiles(dir: string): string[] {
  return listFiles(dir).filter(isModelFile);
}

/** sha256 of each file (relative path → hex). */
export function fileHashes(dir: string, files: readonly string[]): Record<string, string> {
  return Object.fromEntries([...files].sort(byteOrder).map((f) => [f, sha256File(path.join(dir, f))]));
}

/** The manifest text of some file hashes: sorted `sha256  path` lines (sha256sum format). */
export function manifestText(hashes: Readonly<Record<string, string>>): string {
  return Object.keys(hashes).sort(byteOrder).map((f) => `${hashes[f]}  ${f}\n`).join('');
}

export function manifestHash(hashes: Readonly<Record<string, string>>): string {
  return sha256Text(manifestText(hashes));
}

export interface ModelHash {
  /** SHA-256 of the manifest text of `files`. */
  manifest_hash: string;
  /** Each model file's SHA-256, by relative path. */
  files: Record<string, string>;
}

/** A model folder's file hashes and manifest hash. Throws when it holds no model file. */
export function hashModel(dir: string): ModelHash {
  const files = fileHashes(dir, modelFiles(dir));
  if (Object.keys(files).length === 0) throw new Error(`${dir}: no model files (config.json, *.safetensors, tokenizer files)`);
  return { manifest_hash: manifestHash(files), files };
}

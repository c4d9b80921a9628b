// Writes that never leave a half-written file behind: write a temporary file
// next to the target, then rename it over the target (atomic on POSIX).
import * as fs from 'node:fs';
import * as path from 'node:path';

export function writeFileAtomic(file: string, data: string | Uint8Array | readonly Uint8Array[]): void {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  try {
    const fd = fs.openSync(tmp, 'w');
    try {
      const parts = typeof data === 'string' || data instanceof Uint8Array ? [data] : data;
      for (const part of parts) {
        if (typeof part === 'string') fs.writeSync(fd, part);
        else fs.writeSync(fd, part);
      }
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

/**
 * Writes a whole folder without ever leaving it half-written: `fill` populates a fresh sibling
 * staging folder, which then replaces `dir` (an existing `dir` is swapped out first and removed
 * only after the swap; on failure it is put back and the staging folder removed).
 */
export function writeDirAtomic(dir: string, fill: (staging: string) => void): void {
  const target = path.resolve(dir);
  const staging = `${target}.saving-${process.pid}-${Date.now()}`;
  fs.mkdirSync(staging, { recursive: true });
  try {
    fill(staging);
    if (!fs.existsSync(target)) {
      fs.renameSync(staging, target);
      return;
    }
    const old = `${target}.replaced-${process.pid}-${Date.now()}`;
    fs.renameSync(target, old);
    try {
      fs.renameSync(staging, target);
    } catch (err) {
      fs.renameSync(old, target);
      throw err;
    }
    fs.rmSync(old, { recursive: true, force: true });
  } catch (err) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw err;
  }
}

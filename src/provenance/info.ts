// Provenance: what produced a record (deepcut version and commit, libtorch, threads, Node, the
// command line). Every JSON record deepcut writes carries one under "provenance".
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface Provenance {
  deepcut_version: string | null;
  /** HEAD's commit when the package root is a git checkout (read from .git, no git process); else null. */
  git_commit: string | null;
  libtorch: string | null;
  /** libtorch's intra-op threads and the environment variables that set BLAS threads. */
  threads: { torch: number | null; omp_num_threads: string | null; openblas_num_threads: string | null; mkl_num_threads: string | null };
  node: string;
  platform: string;
  /** The command line after the Node binary: the script (relative to the working directory when inside it) and its arguments. */
  argv: string[];
  /** Extra field: the absolute working directory. */
  cwd_absolute: string;
  /** Where the record's computation ran ('cpu', 'cuda:0'); absent in records from before devices and those that computed nothing. */
  device?: string;
  time: string;
}

/** The package root: the folder holding deepcut's package.json (dist/src/provenance → ../../..). */
export function packageRoot(): string {
  for (let dir = __dirname, i = 0; i < 5; i++, dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      try {
        if ((JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string }).name === 'deepcut') return dir;
      } catch {
        // not ours
      }
    }
  }
  return path.resolve(__dirname, '../../..');
}

let cachedStatic: { version: string | null; commit: string | null } | undefined;

function readVersion(root: string): string | null {
  try {
    return (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version?: string }).version ?? null;
  } catch {
    return null;
  }
}

/** The commit HEAD points at, from .git (a folder, or a worktree's "gitdir:" file), loose refs or packed-refs. */
export function gitCommit(root: string): string | null {
  try {
    let gitDir = path.join(root, '.git');
    if (!fs.existsSync(gitDir)) return null;
    if (fs.statSync(gitDir).isFile()) {
      const m = /^gitdir:\s*(.+)$/m.exec(fs.readFileSync(gitDir, 'utf8'));
      if (!m) return null;
      gitDir = path.resolve(root, m[1]!.trim());
    }
    const head = fs.readFileSync(path.join(gitDir, 'HEAD'), 'utf8').trim();
    if (/^[0-9a-f]{40}$/.test(head)) return head;
    const ref = /^ref:\s*(.+)$/.exec(head)?.[1]?.trim();
    if (!ref) return null;
    // A worktree keeps refs in the common dir.
    const commonFile = path.join(gitDir, 'commondir');
    const common = fs.existsSync(commonFile) ? path.resolve(gitDir, fs.readFileSync(commonFile, 'utf8').trim()) : gitDir;
    for (const dir of [gitDir, common]) {
      const loose = path.join(dir, ref);
      if (fs.existsSync(loose)) {
        const sha = fs.readFileSync(loose, 'utf8').trim();
        if (/^[0-9a-f]{40}$/.test(sha)) return sha;
      }
      const packed = path.join(dir, 'packed-refs');
      if (fs.existsSync(packed)) {
        for (const line of fs.readFileSync(packed, 'utf8').split('\n')) {
          const [sha, name] = line.trim().split(' ');
          if (name === ref && sha && /^[0-9a-f]{40}$/.test(sha)) return sha;
        }
      }
    }
    return null;
  } catch {
    return null;
  }
}

/** libtorch's version and thread count, or nulls when the addon is not loaded/available. */
function torchInfo(): { version: string | null; threads: number | null } {
  try {
    // Required lazily: provenance must not load (or fail on) the addon by itself.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const engine = require('../engine/runtime') as typeof import('../engine/runtime');
    return { version: engine.torchVersion(), threads: engine.getNumThreads() };
  } catch {
    return { version: null, threads: null };
  }
}

export function provenance(options: { device?: string } = {}): Provenance {
  if (!cachedStatic) {
    const root = packageRoot();
    cachedStatic = { version: readVersion(root), commit: gitCommit(root) };
  }
  const torch = torchInfo();
  const cwd = process.cwd();
  const script = process.argv[1];
  const shown = script === undefined ? [] : [path.isAbsolute(script) && script.startsWith(cwd + path.sep) ? path.relative(cwd, script) : script];
  const env = (name: string) => process.env[name] ?? null;
  return {
    deepcut_version: cachedStatic.version, git_commit: cachedStatic.commit, libtorch: torch.version,
    threads: { torch: torch.threads, omp_num_threads: env('OMP_NUM_THREADS'), openblas_num_threads: env('OPENBLAS_NUM_THREADS'), mkl_num_threads: env('MKL_NUM_THREADS') },
    node: process.version, platform: `${process.platform}-${process.arch}`,
    argv: [...shown, ...process.argv.slice(2)], cwd_absolute: cwd, time: new Date().toISOString(),
    ...(options.device !== undefined ? { device: options.device } : {}),
  };
}

/** `target` relative to the folder `from` ('/' separators); "." for the folder itself. */
export function relativePath(from: string, target: string): string {
  const rel = path.relative(path.resolve(from), path.resolve(target));
  return rel === '' ? '.' : rel.split(path.sep).join('/');
}

/** A recorded path read back: relative ones are relative to the record's folder; absolute ones (older records) as they are. */
export function resolveRecorded(recordDir: string, recorded: string): string {
  return path.resolve(recordDir, recorded);
}

// scripts/install.js (npm's install hook) and the addon loader's advice, without building: in a
// git checkout it leaves the work to scripts/setup.sh, without libtorch it says what to install
// and succeeds, and the CLI of an installed package without an addon says the same in one line.
// The real build at install time is test/install-pack.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '../..');
const MODEL = path.join(ROOT, 'models/deepcut-bert-small');
const DEBIAN_LIBTORCH = fs.existsSync('/usr/include/torch/csrc/api/include/torch/torch.h');

function run(cwd: string, args: readonly string[], env: Record<string, string | undefined> = {}) {
  const merged: NodeJS.ProcessEnv = { ...process.env, ...env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete merged[k];
  delete merged.DEEPCUT_ADDON;
  const r = spawnSync(process.execPath, args, { cwd, encoding: 'utf8', env: merged });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A copy of the package as npm installs it (no .git, no build/), with dist/src for the CLI. */
function fakeInstall(t: { after(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deepcut-installed-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  for (const p of ['package.json', 'binding.gyp', 'native', 'scripts/install.js', 'scripts/torch-paths.js', 'dist/src']) {
    fs.cpSync(path.join(ROOT, p), path.join(dir, p), { recursive: true });
  }
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  return dir;
}

test('in the git checkout the install step does nothing (scripts/setup.sh builds there)', () => {
  const r = run(ROOT, ['scripts/install.js']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /git checkout: bash scripts\/setup\.sh builds/);
});

test('installed without libtorch: the install says what to install or set and exits 0, building nothing', (t) => {
  const dir = fakeInstall(t);
  const r = run(dir, ['scripts/install.js'], { LIBTORCH: '/nonexistent/libtorch' });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /LIBTORCH=\/nonexistent\/libtorch has no include\/torch\/csrc\/api\/include\/torch\/torch\.h/);
  assert.match(r.stderr, /install Debian's libtorch-dev \(apt-get install libtorch-dev libopenblas0-pthread\) or set LIBTORCH=/);
  assert.match(r.stderr, /then run 'npm rebuild deepcut'/);
  assert.ok(!fs.existsSync(path.join(dir, 'build')), 'nothing built');
  assert.ok(!fs.existsSync(path.join(dir, 'models')), 'no conversion without the addon');
  const skipped = run(dir, ['scripts/install.js'], { DEEPCUT_SKIP_INSTALL: '1' });
  assert.equal(skipped.code, 0);
  assert.match(skipped.stdout, /DEEPCUT_SKIP_INSTALL=1/);
});

test('the CLI of an installed package without the addon: one line saying what to do, exit 1; --help works', (t) => {
  const dir = fakeInstall(t);
  const cli = path.join(dir, 'dist/src/cli/main.js');
  const help = run(dir, [cli, 'predict', '--help']);
  assert.equal(help.code, 0, help.stderr);

  const noTorch = run(dir, [cli, 'predict', '--model', MODEL, '--text', 'hi'], { LIBTORCH: '/nonexistent/libtorch' });
  assert.equal(noTorch.code, 1);
  assert.equal(noTorch.stderr.trim().split('\n').length, 1, noTorch.stderr);
  assert.match(noTorch.stderr, /^deepcut: LIBTORCH=\/nonexistent\/libtorch has no .*; install Debian's libtorch-dev .* or set LIBTORCH=.*, then run 'npm rebuild deepcut'\n$/);
  assert.doesNotMatch(noTorch.stderr, /setup\.sh|node_modules/, 'no pointer into the package for an installed copy');

  if (DEBIAN_LIBTORCH) {
    const notBuilt = run(dir, [cli, 'predict', '--model', MODEL, '--text', 'hi'], { LIBTORCH: undefined });
    assert.equal(notBuilt.code, 1);
    assert.match(notBuilt.stderr, /^deepcut: the libtorch addon is not built \(libtorch: Debian libtorch-dev \(\/usr\)\): run 'npm rebuild deepcut'/);
  }

  fs.mkdirSync(path.join(dir, 'build/Release'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'build/Release/deepcut_native.node'), 'not an ELF file');
  const broken = run(dir, [cli, 'predict', '--model', MODEL, '--text', 'hi'], { LIBTORCH: DEBIAN_LIBTORCH ? undefined : '/nonexistent/libtorch' });
  assert.equal(broken.code, 1);
  assert.equal(broken.stderr.trim().split('\n').length, 1, broken.stderr);
  if (DEBIAN_LIBTORCH) assert.match(broken.stderr, /^deepcut: cannot load the libtorch addon: .*; run 'npm rebuild deepcut'/);
  assert.doesNotMatch(broken.stderr, new RegExp(dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), 'the reason, not where the package lives');

  // In a checkout the advice is the set-up script.
  fs.mkdirSync(path.join(dir, '.git'));
  const checkout = run(dir, [cli, 'predict', '--model', MODEL, '--text', 'hi'], { LIBTORCH: '/nonexistent/libtorch' });
  assert.match(checkout.stderr, /then run 'bash scripts\/setup\.sh'/);
});

test('torch-paths.js still prints the flags binding.gyp reads', () => {
  const describe = run(ROOT, ['scripts/torch-paths.js', '--describe'], { LIBTORCH: undefined });
  assert.equal(describe.stdout, 'Debian libtorch-dev (/usr)\n');
  assert.equal(run(ROOT, ['scripts/torch-paths.js', '--include'], { LIBTORCH: undefined }).stdout, '/usr/include /usr/include/torch/csrc/api/include\n');
  assert.equal(run(ROOT, ['scripts/torch-paths.js', '--libs'], { LIBTORCH: undefined }).stdout, '-ltorch_cpu -lc10\n');
  const custom = fs.mkdtempSync(path.join(os.tmpdir(), 'deepcut-libtorch-'));
  try {
    fs.mkdirSync(path.join(custom, 'include/torch/csrc/api/include/torch'), { recursive: true });
    fs.writeFileSync(path.join(custom, 'include/torch/csrc/api/include/torch/torch.h'), '');
    fs.mkdirSync(path.join(custom, 'lib'));
    for (const lib of ['torch', 'torch_cpu', 'c10']) fs.writeFileSync(path.join(custom, 'lib', `lib${lib}.so`), '');
    assert.equal(run(ROOT, ['scripts/torch-paths.js', '--describe'], { LIBTORCH: custom }).stdout, `LIBTORCH=${custom}\n`);
    assert.equal(run(ROOT, ['scripts/torch-paths.js', '--libs'], { LIBTORCH: custom }).stdout,
      `-L${custom}/lib -Wl,-rpath,${custom}/lib -Wl,--no-as-needed -ltorch -ltorch_cpu -lc10 -Wl,--as-needed\n`);
    assert.equal(run(ROOT, ['scripts/torch-paths.js', '--defines'], { LIBTORCH: custom }).stdout, '_GLIBCXX_USE_CXX11_ABI=1\n');
  } finally {
    fs.rmSync(custom, { recursive: true });
  }
  const missing = run(ROOT, ['scripts/torch-paths.js', '--include'], { LIBTORCH: '/nonexistent/libtorch' });
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /LIBTORCH=\/nonexistent\/libtorch: .* not found/);
});

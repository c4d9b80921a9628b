// deepcut as a dependency, as a new user gets it: `npm pack` the repository, install the tarball
// into a fresh project (only the npm registry is reached, for the dependencies), then
// `npx deepcut --help` and the README's library example, compiled with tsc against the installed
// package's types and run. Slow (the install builds the libtorch addon: a minute or two).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '../..');
const TSC = path.join(ROOT, 'node_modules/typescript/bin/tsc');
const MINUTE = 60_000;

/** The environment of a user's shell: none of this checkout's npm-script or deepcut variables. */
function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^npm_(?!config_(nodedir|cache|registry|userconfig)$)/i.test(k) || k.startsWith('DEEPCUT_') || k === 'INIT_CWD') continue;
    env[k] = v;
  }
  return env;
}

function sh(command: string, args: readonly string[], cwd: string, timeout = 5 * MINUTE): SpawnSyncReturns<string> {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8', env: userEnv(), timeout, maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  return r;
}

const output = (r: SpawnSyncReturns<string>) => `exit ${r.status}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

/** The README block after the library-example marker. */
function readmeExample(): string {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const match = /<!-- library-example:[^\n]*-->\n```ts\n([\s\S]*?)\n```/.exec(readme);
  assert.ok(match, 'README.md has the library example block');
  return `${match[1]}\n`;
}

test('npm pack -> npm install in a fresh project -> npx deepcut --help and the README example', { timeout: 30 * MINUTE }, (t) => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deepcut-pack-'));
  t.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  // The tarball: dist/src is compiled already (the suite runs from dist/), so skip prepack's tsc.
  const pack = sh('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], ROOT);
  assert.equal(pack.status, 0, output(pack));
  const [info] = JSON.parse(pack.stdout) as { filename: string; entryCount: number; size: number; files: { path: string }[] }[];
  const files = info!.files.map((f) => f.path);
  for (const unwanted of [/^test\//, /^dist\/test\//, /^dist\/bench\//, /^runs\//, /fixtures/, /\.map$/, /^build\//, /^scripts\/(setup|test|demo)\.sh$/, /^models\/use-lite\//]) {
    assert.deepEqual(files.filter((f) => unwanted.test(f)), [], `nothing matching ${unwanted} in the tarball`);
  }
  for (const wanted of ['dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/cli/main.js', 'binding.gyp', 'native/addon.cc', 'scripts/install.js', 'scripts/torch-paths.js', 'README.md']) {
    assert.ok(files.includes(wanted), `${wanted} in the tarball`);
  }
  t.diagnostic(`npm pack: ${info!.entryCount} files, ${(info!.size / 1e6).toFixed(2)} MB`);
  const tarball = path.join(tmp, info!.filename);

  const project = path.join(tmp, 'project');
  fs.mkdirSync(project);
  fs.writeFileSync(path.join(project, 'package.json'), `${JSON.stringify({ name: 'deepcut-user', version: '1.0.0', private: true }, null, 2)}\n`);
  const started = Date.now();
  const install = sh('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--foreground-scripts', tarball], project, 20 * MINUTE);
  assert.equal(install.status, 0, output(install));
  t.diagnostic(`npm install: ${((Date.now() - started) / 1000).toFixed(0)} s`);
  const installed = path.join(project, 'node_modules/deepcut');

  const help = sh('npx', ['deepcut', '--help'], project);
  assert.equal(help.status, 0, output(help));
  assert.match(help.stdout, /^Usage: deepcut /);
  const predictHelp = sh('npx', ['deepcut', 'predict', '--help'], project);
  assert.equal(predictHelp.status, 0, output(predictHelp));
  const unknown = sh('npx', ['deepcut', 'frobnicate', '--help'], project);
  assert.equal(unknown.status, 2, output(unknown));

  const libtorch = (require(path.join(ROOT, 'scripts/torch-paths.js')) as { findLibtorch(): { found: boolean } }).findLibtorch();
  if (!libtorch.found) {
    // No libtorch here: the install said what to do and succeeded; the CLI says it again.
    assert.match(install.stderr + install.stdout, /install Debian's libtorch-dev/);
    const r = sh('npx', ['deepcut', 'predict', '--model', path.join(ROOT, 'models/deepcut-bert-small'), '--text', 'x'], project);
    assert.equal(r.status, 1, output(r));
    assert.match(r.stderr, /^deepcut: .*install Debian's libtorch-dev .*then run 'npm rebuild deepcut'\n$/);
    t.skip('libtorch is not installed: the README example needs it');
    return;
  }
  assert.match(install.stdout + install.stderr, /deepcut: building the libtorch addon against /);
  assert.ok(fs.existsSync(path.join(installed, 'build/Release/deepcut_native.node')), 'the install built the addon');
  assert.ok(fs.existsSync(path.join(installed, 'models/use-lite/model.safetensors')), 'the install converted USE-Lite into the package');

  // The README example, type-checked against the installed package's declarations, then run.
  fs.writeFileSync(path.join(project, 'example.ts'), readmeExample());
  fs.writeFileSync(path.join(project, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      target: 'ES2022', module: 'commonjs', moduleResolution: 'node', strict: true, skipLibCheck: true,
      lib: ['ES2022', 'esnext.disposable'], types: ['node'], typeRoots: [path.join(ROOT, 'node_modules/@types')],
    },
    files: ['example.ts'],
  }));
  const tsc = sh(process.execPath, [TSC, '-p', 'tsconfig.json', '--traceResolution'], project);
  assert.equal(tsc.status, 0, output(tsc));
  assert.match(tsc.stdout, /Module name 'deepcut' was successfully resolved to '[^']*project\/node_modules\/deepcut\/dist\/src\/index\.d\.ts'/);
  const example = sh(process.execPath, ['example.js'], project, 15 * MINUTE);
  assert.equal(example.status, 0, output(example));
  assert.match(example.stdout, /^forget accuracy \d\.\d{3}, MIA loss AUC (\d\.\d{3}|NaN), gap to retrain \d\.\d{3}$/m);
  assert.match(example.stdout, /^report: .*out\/eval\/report\.html$/m);
  assert.match(example.stdout, /label: '(ham|spam)'/);
  // The default encoder came from the installed package, not from the working directory.
  // (train.json's base_model is relative to the record; base_model_absolute is where it was.)
  const record = JSON.parse(fs.readFileSync(path.join(project, 'out/original/train.json'), 'utf8')) as { base_model: string; base_model_absolute: string };
  assert.ok(record.base_model_absolute.startsWith(fs.realpathSync(installed) + path.sep), `base_model_absolute ${record.base_model_absolute} is inside the installed package`);
  assert.equal(path.resolve(project, 'out/original', record.base_model), record.base_model_absolute);
});

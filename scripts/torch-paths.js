#!/usr/bin/env node
// Finds the libtorch the addon builds against and prints its compiler/linker flags.
// LIBTORCH=/path/to/libtorch (an unpacked official distribution, CPU or CUDA) overrides
// Debian's libtorch-dev under /usr; LIBTORCH_FROM_PYTHON=python3 uses the libtorch inside that
// interpreter's `torch` wheel (its torch/include and torch/lib, the layout of an unpacked
// distribution; the wheel's C++ ABI and C++ standard are asked from torch itself).
// DEEPCUT_CXX_STD=c++20 overrides the C++ standard (default c++17). Used by binding.gyp (as a command), and as a
// module by scripts/install.js and the addon loader (src/engine/native.ts), so the build and
// the messages about a missing libtorch agree.
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const DEBIAN_HEADER = '/usr/include/torch/csrc/api/include/torch/torch.h';

/** What to do when no libtorch is found (one sentence, no paths into the package). */
const LIBTORCH_ADVICE =
  "install Debian's libtorch-dev (apt-get install libtorch-dev libopenblas0-pthread) " +
  'or set LIBTORCH=/path/to/libtorch (an unpacked libtorch distribution with include/ and lib/)';

function debian() {
  return {
    include: ['/usr/include', '/usr/include/torch/csrc/api/include'],
    libs: ['-ltorch_cpu', '-lc10'],
    defines: [],
  };
}

function customHeader(dir) {
  return path.join(dir, 'include/torch/csrc/api/include/torch/torch.h');
}

function custom(dir, python) {
  const include = [path.join(dir, 'include'), path.join(dir, 'include/torch/csrc/api/include')];
  const libDir = path.join(dir, 'lib');
  const has = (name) => fs.existsSync(path.join(libDir, `lib${name}.so`));
  // --no-as-needed keeps libtorch_cuda linked although no symbol of it is
  // referenced directly: its static initialisers register the CUDA kernels.
  const libs = [`-L${libDir}`, `-Wl,-rpath,${libDir}`, '-Wl,--no-as-needed'];
  for (const name of ['torch', 'torch_cpu', 'torch_cuda', 'c10_cuda', 'c10']) if (has(name)) libs.push(`-l${name}`);
  libs.push('-Wl,--as-needed');
  // Official "pre-cxx11 ABI" builds need the old ABI, or the addon dies at the first affected symbol.
  const cmake = path.join(dir, 'share/cmake/Torch/TorchConfig.cmake');
  const oldAbi = python ? !python.cxx11Abi : fs.existsSync(cmake) && /_GLIBCXX_USE_CXX11_ABI=0/.test(fs.readFileSync(cmake, 'utf8'));
  return { include, libs, defines: [`_GLIBCXX_USE_CXX11_ABI=${oldAbi ? 0 : 1}`] };
}

/**
 * What LIBTORCH_FROM_PYTHON's interpreter says about its torch: { root, cxx11Abi, version } or
 * { problem }. Cached per interpreter: binding.gyp runs this script several times.
 */
const pythonTorchCache = new Map();
function pythonTorch(python) {
  if (pythonTorchCache.has(python)) return pythonTorchCache.get(python);
  const code = 'import json, os, torch; print(json.dumps({"root": os.path.dirname(torch.__file__), ' +
    '"cxx11Abi": bool(torch.compiled_with_cxx11_abi()), "version": torch.__version__, "cuda": torch.version.cuda}))';
  const r = spawnSync(python, ['-c', code], { encoding: 'utf8' });
  let found;
  if (r.error || r.status !== 0) {
    const why = r.error ? r.error.message : (r.stderr || '').trim().split('\n').pop();
    found = { problem: `LIBTORCH_FROM_PYTHON=${python} cannot import torch (${why})` };
  } else {
    found = JSON.parse(r.stdout.trim().split('\n').pop());
  }
  pythonTorchCache.set(python, found);
  return found;
}

/** The libtorch folder from the environment: LIBTORCH, else LIBTORCH_FROM_PYTHON's torch; { root, source } or { problem }. */
function chosenRoot(env = process.env) {
  if (env.LIBTORCH) return { root: env.LIBTORCH, source: `LIBTORCH=${env.LIBTORCH}` };
  if (env.LIBTORCH_FROM_PYTHON) {
    const t = pythonTorch(env.LIBTORCH_FROM_PYTHON);
    if (t.problem) return { problem: t.problem };
    return { root: t.root, source: `torch ${t.version}${t.cuda ? ` (CUDA ${t.cuda})` : ''} of LIBTORCH_FROM_PYTHON=${env.LIBTORCH_FROM_PYTHON} (${t.root})`, python: t };
  }
  return undefined;
}

/**
 * The C++ standard to compile with: DEEPCUT_CXX_STD, else the newer of c++17 (node-addon-api
 * needs it) and the one a wheel's own extension builder uses (torch/utils/cpp_extension.py names
 * it: c++14 for 1.13, c++17 for 2.x so far).
 */
function cxxStandard(env = process.env) {
  if (env.DEEPCUT_CXX_STD) return env.DEEPCUT_CXX_STD;
  const chosen = chosenRoot(env);
  const builder = chosen && chosen.root ? path.join(chosen.root, 'utils', 'cpp_extension.py') : undefined;
  if (builder && fs.existsSync(builder)) {
    const versions = [...fs.readFileSync(builder, 'utf8').matchAll(/-std=c\+\+(\d\d)/g)].map((m) => Number(m[1]));
    if (versions.length > 0) return `c++${Math.max(17, ...versions)}`;
  }
  return 'c++17';
}

/**
 * The libtorch to build against: { found: true, describe, debian } or { found: false, problem,
 * advice }. `describe` is what build/.libtorch records (the addon is rebuilt when it changes).
 */
function findLibtorch(env = process.env) {
  const chosen = chosenRoot(env);
  if (chosen && chosen.problem) return { found: false, problem: chosen.problem, advice: LIBTORCH_ADVICE };
  if (chosen) {
    const root = chosen.root;
    const header = customHeader(root);
    if (!fs.existsSync(header)) {
      return { found: false, problem: `${chosen.source} has no include/torch/csrc/api/include/torch/torch.h`, advice: LIBTORCH_ADVICE };
    }
    return { found: true, describe: chosen.source, debian: false };
  }
  if (!fs.existsSync(DEBIAN_HEADER)) {
    return { found: false, problem: `libtorch not found (no ${DEBIAN_HEADER}, LIBTORCH not set)`, advice: LIBTORCH_ADVICE };
  }
  return { found: true, describe: 'Debian libtorch-dev (/usr)', debian: true };
}

/**
 * Debian's libtorch calls whatever provides libblas.so.3; the reference BLAS it pulls in by
 * default multiplies matrices ~30x slower than OpenBLAS. True when OpenBLAS is installed, or
 * when that cannot be asked (no dpkg), as scripts/setup.sh checks.
 */
function hasOpenblas() {
  const dpkg = (pkg) => spawnSync('dpkg', ['-s', pkg], { stdio: 'ignore' });
  const first = dpkg('libopenblas0-pthread');
  if (first.error) return true; // not a Debian system: nothing to check
  return first.status === 0 || dpkg('libopenblas0-openmp').status === 0;
}

module.exports = { findLibtorch, hasOpenblas, cxxStandard, LIBTORCH_ADVICE, DEBIAN_HEADER };

if (require.main === module) {
  const what = process.argv[2];
  const chosen = chosenRoot();
  if (chosen && chosen.problem) {
    console.error(chosen.problem);
    process.exit(1);
  }
  if (chosen && !fs.existsSync(customHeader(chosen.root))) {
    console.error(`${chosen.source}: ${customHeader(chosen.root)} not found (expected an unpacked libtorch with include/ and lib/)`);
    process.exit(1);
  }
  const flags = chosen ? custom(chosen.root, chosen.python) : debian();
  if (what === '--include') console.log(flags.include.join(' '));
  else if (what === '--libs') console.log(flags.libs.join(' '));
  else if (what === '--defines') console.log(flags.defines.join(' '));
  else if (what === '--cxx-std') console.log(`-std=${cxxStandard()}`);
  else if (what === '--describe') console.log(chosen ? chosen.source : 'Debian libtorch-dev (/usr)');
  else {
    console.error('usage: torch-paths.js --include | --libs | --defines | --cxx-std | --describe');
    process.exit(2);
  }
}

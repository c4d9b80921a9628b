#!/usr/bin/env node
// Finds the libtorch the addon builds against and prints its compiler/linker flags.
// LIBTORCH=/path/to/libtorch (an unpacked official distribution, CPU or CUDA)
// overrides Debian's libtorch-dev under /usr. Used by binding.gyp (as a command), and as a
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

function custom(dir) {
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
  const oldAbi = fs.existsSync(cmake) && /_GLIBCXX_USE_CXX11_ABI=0/.test(fs.readFileSync(cmake, 'utf8'));
  return { include, libs, defines: [`_GLIBCXX_USE_CXX11_ABI=${oldAbi ? 0 : 1}`] };
}

/**
 * The libtorch to build against: { found: true, describe, debian } or { found: false, problem,
 * advice }. `describe` is what build/.libtorch records (the addon is rebuilt when it changes).
 */
function findLibtorch(env = process.env) {
  const root = env.LIBTORCH;
  if (root) {
    const header = customHeader(root);
    if (!fs.existsSync(header)) {
      return { found: false, problem: `LIBTORCH=${root} has no include/torch/csrc/api/include/torch/torch.h`, advice: LIBTORCH_ADVICE };
    }
    return { found: true, describe: `LIBTORCH=${root}`, debian: false };
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

module.exports = { findLibtorch, hasOpenblas, LIBTORCH_ADVICE, DEBIAN_HEADER };

if (require.main === module) {
  const root = process.env.LIBTORCH;
  const what = process.argv[2];
  if (root && !fs.existsSync(customHeader(root))) {
    console.error(`LIBTORCH=${root}: ${customHeader(root)} not found (expected an unpacked libtorch with include/ and lib/)`);
    process.exit(1);
  }
  const flags = root ? custom(root) : debian();
  if (what === '--include') console.log(flags.include.join(' '));
  else if (what === '--libs') console.log(flags.libs.join(' '));
  else if (what === '--defines') console.log(flags.defines.join(' '));
  else if (what === '--describe') console.log(root ? `LIBTORCH=${root}` : 'Debian libtorch-dev (/usr)');
  else {
    console.error('usage: torch-paths.js --include | --libs | --defines | --describe');
    process.exit(2);
  }
}

#!/usr/bin/env node
// Prints compiler/linker flags for the libtorch the addon builds against.
// LIBTORCH=/path/to/libtorch (an unpacked official distribution, CPU or CUDA)
// overrides Debian's libtorch-dev under /usr. Used by binding.gyp.
'use strict';
const fs = require('fs');
const path = require('path');

const root = process.env.LIBTORCH;
const what = process.argv[2];

function debian() {
  return {
    include: ['/usr/include', '/usr/include/torch/csrc/api/include'],
    libs: ['-ltorch_cpu', '-lc10'],
    defines: [],
  };
}

function custom(dir) {
  const include = [path.join(dir, 'include'), path.join(dir, 'include/torch/csrc/api/include')];
  const header = path.join(include[1], 'torch/torch.h');
  if (!fs.existsSync(header)) {
    console.error(`LIBTORCH=${dir}: ${header} not found (expected an unpacked libtorch with include/ and lib/)`);
    process.exit(1);
  }
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

const flags = root ? custom(root) : debian();
if (what === '--include') console.log(flags.include.join(' '));
else if (what === '--libs') console.log(flags.libs.join(' '));
else if (what === '--defines') console.log(flags.defines.join(' '));
else if (what === '--describe') console.log(root ? `LIBTORCH=${root}` : 'Debian libtorch-dev (/usr)');
else {
  console.error('usage: torch-paths.js --include | --libs | --defines | --describe');
  process.exit(2);
}

// The CLI's exit codes (0 success, 2 usage errors, commander's own included, 1 failures at run
// time) and that every --help works without the libtorch addon, whose absence is one clear line.
// No command here runs a model, so none of them loads libtorch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '../..');
const CLI = path.join(ROOT, 'dist/src/cli/main.js');
const MODEL = path.join(ROOT, 'models/deepcut-bert-small');
const COMMANDS = ['demo', 'pretrain', 'finetune', 'eval', 'unlearn', 'experiment', 'convert-use-lite', 'predict'];

function cli(args: readonly string[], env: Record<string, string> = {}): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, cwd: ROOT });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const NO_ADDON = { DEEPCUT_ADDON: path.join(os.tmpdir(), 'deepcut-no-such-addon', 'deepcut_native.node') };

test('--help, --version and every COMMAND --help exit 0 without the addon', () => {
  const top = cli(['--help'], NO_ADDON);
  assert.equal(top.code, 0, top.stderr);
  for (const c of COMMANDS) assert.match(top.stdout, new RegExp(`\\b${c}\\b`), `global help lists ${c}`);
  assert.equal(cli(['--version'], NO_ADDON).code, 0);
  for (const c of COMMANDS) {
    const r = cli([c, '--help'], NO_ADDON);
    assert.equal(r.code, 0, `${c} --help: ${r.stderr}`);
    assert.match(r.stdout, new RegExp(`^Usage: deepcut ${c} `), `${c} --help prints its own usage`);
    const viaHelp = cli(['help', c], NO_ADDON);
    assert.equal(viaHelp.code, 0, `help ${c}`);
    assert.equal(viaHelp.stdout, r.stdout);
  }
});

test('commander usage errors exit 2', () => {
  const cases: [string[], RegExp][] = [
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['predict', '--model', MODEL, '--text', 'hi', '--bogus'], /unknown option '--bogus'/],
    [['eval', '--model', MODEL], /required option '--data <name\|file>' not specified/],
    [['predict', '--model'], /option '--model <dir>' argument missing/],
    [['predict', '--model', MODEL, '--text', 'hi', 'extra'], /too many arguments/],
    [[], /Usage: deepcut/],
  ];
  for (const [args, message] of cases) {
    const r = cli(args, NO_ADDON);
    assert.equal(r.code, 2, `deepcut ${args.join(' ')}: exit ${r.code}, ${r.stderr}`);
    assert.match(r.stderr, message, `deepcut ${args.join(' ')}`);
  }
});

test('COMMAND --help and help COMMAND for an unknown command say it is unknown (exit 2)', () => {
  for (const args of [['frobnicate', '--help'], ['frobnicate', '-h'], ['help', 'frobnicate']]) {
    const r = cli(args, NO_ADDON);
    assert.equal(r.code, 2, `deepcut ${args.join(' ')}`);
    assert.match(r.stderr, /error: unknown command 'frobnicate'/);
    assert.doesNotMatch(r.stdout, /Usage:/, 'no global help on stdout as if it had succeeded');
  }
});

test("deepcut's own usage errors exit 2, failures at run time exit 1", (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deepcut-exit-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const usage: [string[], RegExp][] = [
    [['finetune', '--data', 'x.jsonl', '--out', path.join(dir, 'o'), '--epochs', '0'], /--epochs must be a positive integer/],
    [['unlearn', '--model', MODEL, '--data', 'x', '--forget', 'largest-user', '--out', path.join(dir, 'u'), '--method', 'nope'], /unknown --method 'nope'/],
    [['unlearn', '--model', MODEL, '--data', 'x', '--forget', 'largest-user', '--out', path.join(dir, 'u'), '--stop', 'references'], /--stop references needs --references DIR/],
    // --references alone selects the references rule (the default then); with another rule it is a contradiction.
    [['unlearn', '--model', MODEL, '--data', 'x', '--forget', 'largest-user', '--out', path.join(dir, 'u'), '--stop', 'accuracy', '--references', dir], /--references is read by --stop references only \(got --stop accuracy\)/],
    [['predict', '--model', path.join(dir, 'none'), '--text', 'hi'], /no such folder/],
    [['predict', '--model', MODEL], /give --text/],
    [['predict', '--model', MODEL, '--text', 'a', '--data', 'b.jsonl'], /either --text or --data/],
    [['predict', '--model', MODEL, '--data', path.join(dir, 'none.jsonl')], /no such file/],
    [['predict', '--model', MODEL, '--text', 'a', '--batch', '0'], /--batch must be a positive integer/],
  ];
  for (const [args, message] of usage) {
    const r = cli(args, NO_ADDON);
    assert.equal(r.code, 2, `deepcut ${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1, 'one line');
  }
  const bad = path.join(dir, 'bad.jsonl');
  fs.writeFileSync(bad, '{"text": "fine"}\n{not json\n');
  const r = cli(['predict', '--model', MODEL, '--data', bad], NO_ADDON);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /bad\.jsonl: line 2: malformed JSON/);
});

test('a missing addon is one line on stderr, exit 1, no stack trace', () => {
  const r = cli(['predict', '--model', MODEL, '--text', 'hello'], NO_ADDON);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, /^deepcut: DEEPCUT_ADDON=.*: no such file/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
});

test('the library imports without the addon; the first tensor throws AddonUnavailableError', () => {
  const script = `
    const d = require(${JSON.stringify(path.join(ROOT, 'dist/src'))});
    if (d.nativeAvailable()) throw new Error('addon should be unavailable');
    if (d.listMethods().length === 0) throw new Error('methods registry empty');
    try { d.tensor([1, 2]); throw new Error('tensor() did not throw'); }
    catch (e) { if (!(e instanceof d.AddonUnavailableError)) throw e; console.log(e.message); }`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { ...process.env, ...NO_ADDON } });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /DEEPCUT_ADDON=.*no such file/);
});

// `deepcut verify MODEL_DIR`: checks a model folder's ledger, lineage and hashes (docs/provenance.md).
import type { Command } from 'commander';
import * as fs from 'node:fs';
import { CliError } from '../args';
import { formatVerifyReport, verifyFolder } from '../../provenance/verify';

/** Thrown to exit 1 after the report has been printed. */
export class VerifyFailed extends Error {}

export function registerVerify(program: Command): void {
  program
    .command('verify')
    .description('recompute every hash of a model folder\'s ledger and lineage, check the hash chain, and say what that proves and what it does not (exit 1 when anything fails or there is no ledger)')
    .argument('<model_dir>', 'a model folder written by deepcut (finetune, unlearn, SISA)')
    .option('--json', 'print the report as JSON')
    .action((dir: string, f: { json?: boolean }) => {
      if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new CliError(`${dir}: no such folder`);
      const report = verifyFolder(dir);
      process.stdout.write(f.json ? `${JSON.stringify(report, null, 2)}\n` : formatVerifyReport(report));
      if (!report.ok) throw new VerifyFailed(report.head === null ? `${dir}: not verifiable (no ledger.jsonl)` : `${dir}: verification failed`);
    });
}

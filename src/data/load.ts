/** One entry point for datasets: a built-in name or a .jsonl / .csv / .conll / .conllu path. */
import { basename, extname } from 'node:path';
import { getBuiltinDataset, isBuiltinDataset } from './builtin/registry';
import { countBySplit, describeSplitCounts } from './dataset';
import { DataError } from './errors';
import { readConllRecords } from './conll';
import { readCsvRecords, readJsonlRecords } from './formats';
import { buildDataset, type BuildOptions } from './records';
import { VALIDATION_CARVE_FRACTION } from './split';
import { isTagging, tokenCount } from './task';
import type { Dataset } from './types';

export interface LoadOptions extends BuildOptions {
  /** Receives one summary line: rows read per split. */
  log?: (message: string) => void;
}

export async function loadDatasetFile(file: string, options: LoadOptions = {}): Promise<Dataset> {
  const ext = extname(file).toLowerCase();
  let records;
  if (ext === '.jsonl') records = await readJsonlRecords(file);
  else if (ext === '.csv') records = await readCsvRecords(file);
  else if (ext === '.conll' || ext === '.conllu') records = await readConllRecords(file, ext === '.conll' ? 'conll' : 'conllu');
  else throw new DataError(`unsupported dataset file type '${ext}' (expected .jsonl, .csv, .conll or .conllu)`, { file });
  if (records.length === 0) throw new DataError('no records', { file });
  const dataset = buildDataset(basename(file, extname(file)), records, options);
  const tokens = isTagging(dataset) ? ` (tagged sentences: ${tokenCount(dataset.examples)} tokens, ${dataset.labels.length} tags)` : '';
  options.log?.(`read ${records.length} rows from ${file}${tokens}: ${describeSplitCounts(countBySplit(dataset.examples))}`);
  if (dataset.validationCarved !== undefined) {
    options.log?.(dataset.validationCarved > 0
      ? `${file} has no validation rows: ${dataset.validationCarved} train rows (${VALIDATION_CARVE_FRACTION * 100}%, chosen by the split seed) are the validation split, for early stopping and the stopping rules`
      : `warning: ${file} has no validation rows and too few train rows to spare some; early stopping keeps the last epoch and unlearning needs --stop none`);
  }
  return dataset;
}

export async function loadDataset(nameOrPath: string, options: LoadOptions = {}): Promise<Dataset> {
  if (isBuiltinDataset(nameOrPath)) {
    const buildOpts: { seed?: number } = {};
    if (options.seed !== undefined) buildOpts.seed = options.seed;
    const dataset = getBuiltinDataset(nameOrPath, buildOpts);
    options.log?.(`loaded built-in ${nameOrPath}: ${dataset.examples.length} rows: ${describeSplitCounts(countBySplit(dataset.examples))}`);
    return dataset;
  }
  return loadDatasetFile(nameOrPath, options);
}

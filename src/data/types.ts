/** Core record and dataset types shared by the loaders, built-ins and forget requests. */

export const SPLITS = ['train', 'validation', 'test'] as const;
export type Split = (typeof SPLITS)[number];

export function isSplit(value: string): value is Split {
  return (SPLITS as readonly string[]).includes(value);
}

export interface Example {
  id: string;
  text: string;
  /** Index into `Dataset.labels`. */
  label: number;
  labelName: string;
  /** The data subject (sender, author, source document) whose records a forget request may name. */
  user?: string;
  split: Split;
  /** A tagged sentence's words (token-classification datasets; then label is -1 and labelName ''). */
  tokens?: string[];
  /** One tag id per token, indexing Dataset.labels. */
  tags?: number[];
  /** An optional sentence-level attribute kept for analysis (brown-pos: the genre); not a label. */
  group?: string;
}

/** Provenance and meaning of a dataset; mirrored by docs/datasets/NAME.md for the built-ins. */
export interface DataCard {
  name: string;
  source: { package: string; version: string; url?: string };
  licence: string;
  description: string;
  records: number;
  classes: string[];
  labelCounts: Record<string, number>;
  splitCounts: Record<Split, number>;
  users: number;
  /** What `Example.user` stands for in this dataset. */
  userMeaning: string;
  preprocessing: string[];
  notes?: string[];
  /** Token classification only: `records` are sentences, `classes` are tags, `labelCounts` count tokens. */
  task?: 'token-classification';
  /** Token classification only: tokens in all, and per split. */
  tokens?: number;
  tokenSplitCounts?: Record<Split, number>;
}

export interface Dataset {
  name: string;
  /** Absent: sequence classification (labels are text classes); 'token-classification': labels are tags. */
  task?: 'token-classification';
  /** Sorted label names; `labels[i]` is the name of label id `i`. */
  labels: string[];
  examples: Example[];
  card?: DataCard;
  /**
   * When the data named no validation rows, this many train rows were moved to validation
   * (VALIDATION_CARVE_FRACTION of train, chosen by the split seed), so early stopping and the
   * stopping rules always have held-out data. Absent when the data had its own.
   */
  validationCarved?: number;
}

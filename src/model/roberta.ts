// RoBERTa: the BERT encoder with position ids offset past the padding index
// (see positions.ts) and one token type, under the prefix `roberta.`; no pooler.
// Its sequence head reads <s> through classifier.dense -> tanh -> classifier.out_proj.
import { Module } from '../nn/module';
import { Linear } from '../nn/layers';
import type { EncoderConfig } from './config';
import { BertModel } from './bert';
import { group } from './group';
import { dropout } from './activation';
import type { EncoderBatch, ForwardOptions, OptionalPart, SequenceClassifier, SequenceClassifierOutput } from './types';

export { BertForTokenClassification as RobertaForTokenClassification } from './bert';

export class RobertaForSequenceClassification extends Module implements SequenceClassifier {
  readonly task = 'sequence-classification' as const;
  readonly architecture = 'RobertaForSequenceClassification';
  readonly basePrefix = 'roberta';
  readonly roberta: BertModel;
  readonly classifier;

  constructor(readonly config: EncoderConfig) {
    super();
    if (config.modelType !== 'roberta') throw new Error(`RobertaForSequenceClassification needs a roberta config, got ${config.modelType}`);
    const h = config.hiddenSize;
    this.roberta = this.child('roberta', new BertModel(config, { pooler: false }));
    this.classifier = this.child('classifier', group({ dense: new Linear(h, h), out_proj: new Linear(h, config.labels.length) }));
  }

  get encoder(): BertModel { return this.roberta; }
  get outputLayer(): Linear { return this.classifier.out_proj; }
  get numLabels(): number { return this.config.labels.length; }

  forward(batch: EncoderBatch, options: ForwardOptions = {}): SequenceClassifierOutput {
    const { lastHiddenState, hiddenStates } = this.roberta.forward(batch, options);
    const p = this.config.classifierDropout;
    const cls = lastHiddenState.select(1, 0);
    const pooled = this.classifier.dense.forward(dropout(cls, p, this.training)).tanh();
    const logits = this.classifier.out_proj.forward(dropout(pooled, p, this.training));
    return { logits, pooled, cls, lastHiddenState, hiddenStates };
  }

  optionalParts(): OptionalPart[] { return [{ name: 'classification head', prefixes: ['classifier.'], modules: [this.classifier] }]; }
  tiedKeys(): string[] { return []; }
}

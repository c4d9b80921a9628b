/** HTML reports of unlearning experiments: plain data in, one self-contained HTML file out. */
export * from './types';
export { renderReport, writeReport } from './html';
export { renderIndex, writeIndex, type IndexOptions } from './index-page';
export { parseReportInput } from './schema';
export { escapeHtml, jsonForScript, relativeHref } from './escape';
export { formatPercent, formatScore, formatSeconds, formatDelta, NOT_AVAILABLE } from './format';
export { SUMMARY_COLUMNS, findReferenceModel, bestRows, type SummaryColumn, type BestRule } from './summary';
export { type ChartSpec, type ChartConfig, latentScatter, methodBars, lossChart, categoryColor } from './charts';
export { stoppingTimelineOf, type RecordedStopping } from './stopping';
export { evaluationReportInput, latentForReport, type EvaluatedModelView, type EvaluationReportOptions } from './evaluation';

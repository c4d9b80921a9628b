/** The metric table used for models (summary) and for methods: values, deltas to the reference, best cells. */
import { escapeHtml } from './escape';
import { formatDelta, NOT_AVAILABLE } from './format';
import { bestRows, deltaToReference, type SummaryColumn } from './summary';
import type { ModelReport } from './types';

export interface MetricTableOptions {
  /** Header of the first column ('Model', 'Method'). */
  rowHeader: string;
  columns: readonly SummaryColumn[];
  reference: ModelReport | undefined;
}

export function renderMetricTable(rows: readonly ModelReport[], options: MetricTableOptions): string {
  const { columns, reference } = options;
  const best = columns.map((column) => new Set(bestRows(rows, reference, column)));
  const head = `<tr><th scope="col">${escapeHtml(options.rowHeader)}</th>${columns
    .map((column) => `<th scope="col" title="${escapeHtml(column.description)}">${escapeHtml(column.label)}</th>`)
    .join('')}</tr>`;
  const body = rows
    .map((row, rowIndex) => {
      const isReference = row === reference;
      const cells = columns.map((column, columnIndex) => {
        const text = column.format(row.metrics[column.key]);
        const classes = [best[columnIndex]!.has(rowIndex) ? 'best' : '', text === NOT_AVAILABLE ? 'na' : ''].filter(Boolean);
        const delta = isReference || column.best.kind === 'lowest' ? undefined : deltaToReference(row.metrics, reference, column.key);
        const deltaHtml = delta === undefined ? '' : `<span class="delta">${escapeHtml(formatDelta(delta, column.deltaUnit))} vs ref.</span>`;
        const classAttr = classes.length > 0 ? ` class="${classes.join(' ')}"` : '';
        return `<td${classAttr} data-key="${escapeHtml(column.key)}">${escapeHtml(text)}${deltaHtml}</td>`;
      });
      const tag = isReference ? '<span class="tag">reference</span>' : '';
      return `<tr${isReference ? ' class="reference"' : ''}><th scope="row">${escapeHtml(row.name)}${tag}</th>${cells.join('')}</tr>`;
    })
    .join('\n');
  return `<div class="table-wrap"><table>\n<thead>${head}</thead>\n<tbody>\n${body}\n</tbody>\n</table></div>`;
}

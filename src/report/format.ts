/** Number formatting for tables: one place that decides how each kind of metric reads, and "n/a". */

export const NOT_AVAILABLE = 'n/a';

function isFiniteNumber(value: number | undefined): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** A fraction in [0, 1] as a percentage with one decimal: 0.9342 → "93.4%". */
export function formatPercent(value: number | undefined): string {
  return isFiniteNumber(value) ? `${(value * 100).toFixed(1)}%` : NOT_AVAILABLE;
}

/** A score such as an AUC with three decimals: 0.51234 → "0.512". */
export function formatScore(value: number | undefined): string {
  return isFiniteNumber(value) ? value.toFixed(3) : NOT_AVAILABLE;
}

/** Signed difference, in percentage points for fractions ("+1.2 pp") or plain for scores ("−0.034"). */
export function formatDelta(value: number | undefined, unit: 'pp' | 'score' | 'seconds'): string {
  if (!isFiniteNumber(value)) return NOT_AVAILABLE;
  const sign = value > 0 ? '+' : value < 0 ? '\u2212' : '\u00b1';
  const magnitude = Math.abs(value);
  if (unit === 'pp') return `${sign}${(magnitude * 100).toFixed(1)} pp`;
  if (unit === 'seconds') return `${sign}${formatSeconds(magnitude)}`;
  return `${sign}${magnitude.toFixed(3)}`;
}

/** Wall time: "0.84 s", "12.3 s", "4 min 05 s", "2 h 03 min". */
export function formatSeconds(value: number | undefined): string {
  if (!isFiniteNumber(value) || value < 0) return NOT_AVAILABLE;
  if (value < 10) return `${value.toFixed(2)} s`;
  if (value < 60) return `${value.toFixed(1)} s`;
  const totalSeconds = Math.round(value);
  if (totalSeconds < 3600) return `${Math.floor(totalSeconds / 60)} min ${String(totalSeconds % 60).padStart(2, '0')} s`;
  const totalMinutes = Math.round(value / 60);
  return `${Math.floor(totalMinutes / 60)} h ${String(totalMinutes % 60).padStart(2, '0')} min`;
}

/** An integer with thin grouping: 12345 → "12,345". */
export function formatCount(value: number | undefined): string {
  return isFiniteNumber(value) ? Math.round(value).toLocaleString('en-US') : NOT_AVAILABLE;
}

/** An ISO time as "2025-03-01 14:05 UTC"; an unparsable string is shown as given. */
export function formatTimestamp(iso: string): string {
  const time = Date.parse(iso);
  if (Number.isNaN(time)) return iso;
  return `${new Date(time).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

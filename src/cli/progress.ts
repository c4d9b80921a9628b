// Progress reporting for long work: a live bar on a terminal, periodic plain
// lines otherwise (CI logs, pipes), so both stay readable.
import { SingleBar, Presets } from 'cli-progress';

export interface Progress {
  update(done: number, fields?: Record<string, string | number>): void;
  stop(): void;
}

export function startProgress(label: string, total: number, fieldNames: readonly string[] = []): Progress {
  const fmt = (fields: Record<string, string | number>) =>
    fieldNames.map((f) => `${f} ${fields[f] ?? '-'}`).join(' | ');
  if (process.stderr.isTTY) {
    const bar = new SingleBar(
      { format: `${label} [{bar}] {value}/{total}${fieldNames.length > 0 ? ' | {fields}' : ''} | ETA {eta_formatted}`, stream: process.stderr, hideCursor: true },
      Presets.shades_classic,
    );
    bar.start(total, 0, { fields: '' });
    return {
      update: (done, fields = {}) => bar.update(done, { fields: fmt(fields) }),
      stop: () => bar.stop(),
    };
  }
  const started = Date.now();
  let lastPrint = 0;
  // A resumed run starts part-way: the rate counts only the work done since this process began.
  let firstDone: number | undefined;
  return {
    update(done, fields = {}) {
      firstDone ??= Math.max(0, done - 1);
      const now = Date.now();
      if (done < total && now - lastPrint < 5000) return;
      lastPrint = now;
      const elapsed = (now - started) / 1000;
      const eta = done > firstDone ? (elapsed / (done - firstDone)) * (total - done) : NaN;
      process.stderr.write(`${label} ${done}/${total}${fieldNames.length > 0 ? ` | ${fmt(fields)}` : ''} | ${elapsed.toFixed(0)}s elapsed, ETA ${Number.isFinite(eta) ? eta.toFixed(0) + 's' : '-'}\n`);
    },
    stop() {},
  };
}

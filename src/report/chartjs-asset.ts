/**
 * Chart.js's UMD bundle, read from node_modules at render time so the report page can carry it
 * inline (reports must open without network access). Chart.js is MIT-licensed; its licence
 * banner stays at the top of the bundle and so inside every report.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface InlineScript {
  source: string;
  version: string;
}

let cached: InlineScript | undefined;

/** The bundle's source (about 200 KB, self-contained: its one dependency is bundled in). */
export function chartJsBundle(): InlineScript {
  if (!cached) {
    // The package's exports map hides package.json and the UMD file; its CommonJS entry lies in dist/.
    const distDir = path.dirname(require.resolve('chart.js'));
    const packageJson = path.join(distDir, '..', 'package.json');
    const version = (JSON.parse(fs.readFileSync(packageJson, 'utf8')) as { version: string }).version;
    const source = fs.readFileSync(path.join(distDir, 'chart.umd.min.js'), 'utf8');
    // The bundle goes inside <script>…</script>: it must not contain a closing tag of its own.
    if (/<\/script/i.test(source)) throw new Error('chart.js bundle contains "</script" and cannot be inlined');
    cached = { source, version };
  }
  return cached;
}

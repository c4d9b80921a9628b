/**
 * Regenerates test/fixtures/data/*-slice.jsonl from the built-in datasets.
 * tools/ is outside tsconfig's include, so compile this file on its own:
 *   npx tsc tools/make-data-slices.ts --outDir dist --rootDir . --module commonjs --target es2022 \
 *     --strict --esModuleInterop --skipLibCheck --resolveJsonModule && node dist/tools/make-data-slices.js
 * test/data-slices.test.ts fails when the committed slices differ from what this writes.
 */
import { join } from 'node:path';
import { writeBuiltinSlices } from '../src/data/slices';

const outDir = join(__dirname, '..', '..', 'test', 'fixtures', 'data');
for (const file of writeBuiltinSlices(outDir)) console.log(`wrote ${file}`);

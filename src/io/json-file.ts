// Reads a JSON file and validates it against a zod schema; errors name the file and the field.
import * as fs from 'node:fs';
import type { z } from 'zod';

export function readJsonFile<S extends z.ZodTypeAny>(file: string, schema: S): z.infer<S> {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file}: not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${file}: field '${issue.path.join('.')}': ${issue.message}`);
  }
  return parsed.data as z.infer<S>;
}

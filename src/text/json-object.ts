// Reads a tokenizer folder's JSON file as an object; errors name the file.
import * as fs from 'node:fs';

export function readJsonObject(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read tokenizer file ${file}: ${(error as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`malformed JSON in ${file}: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`malformed ${file}: expected a JSON object`);
  }
  return value as Record<string, unknown>;
}

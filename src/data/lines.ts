/**
 * Streams a file as UTF-8 lines with 1-based line numbers. Splits on raw bytes and decodes
 * each line with a fatal decoder, so invalid UTF-8 is reported at its line instead of being
 * replaced with U+FFFD as readline would do.
 */
import { createReadStream } from 'node:fs';
import { DataError } from './errors';

export interface NumberedLine {
  line: number;
  /** Line text without the trailing "\n" or "\r\n". */
  text: string;
}

export async function* readUtf8Lines(file: string): AsyncGenerator<NumberedLine> {
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  let pending: Buffer[] = [];
  let lineNo = 0;

  const decode = (bytes: Buffer): string => {
    try {
      // A fresh decode per line; ignoreBOM=false strips a BOM on line 1 and only there can one sensibly be.
      return decoder.decode(bytes);
    } catch {
      throw new DataError('invalid UTF-8', { file, line: lineNo });
    }
  };

  let stream;
  try {
    stream = createReadStream(file);
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let start = 0;
      for (let nl = chunk.indexOf(0x0a, start); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
        pending.push(chunk.subarray(start, nl));
        const bytes = Buffer.concat(pending);
        pending = [];
        start = nl + 1;
        lineNo++;
        const end = bytes.length > 0 && bytes[bytes.length - 1] === 0x0d ? bytes.length - 1 : bytes.length;
        yield { line: lineNo, text: decode(bytes.subarray(0, end)) };
      }
      if (start < chunk.length) pending.push(chunk.subarray(start));
    }
  } catch (err) {
    if (err instanceof DataError) throw err;
    throw new DataError(`cannot read file: ${(err as Error).message}`, { file });
  }
  if (pending.length > 0) {
    lineNo++;
    const bytes = Buffer.concat(pending);
    const end = bytes[bytes.length - 1] === 0x0d ? bytes.length - 1 : bytes.length;
    yield { line: lineNo, text: decode(bytes.subarray(0, end)) };
  }
}

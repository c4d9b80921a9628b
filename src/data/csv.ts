/**
 * Incremental RFC 4180 CSV parser fed one physical line at a time (see lines.ts), so large
 * files stream. Quoted fields may contain commas, doubled quotes and line breaks; line breaks
 * inside quoted fields come out as "\n".
 */
import { DataError } from './errors';

export interface CsvRow {
  /** 1-based line on which the row starts. */
  line: number;
  fields: string[];
}

export class CsvLineParser {
  private fields: string[] = [];
  private field = '';
  private inQuotes = false;
  /** True right after a closing quote: only a comma or the end of the line may follow. */
  private afterQuote = false;
  private rowStart = 0;

  constructor(private readonly file: string) {}

  /** Feeds one line (without its line break); returns the row it completes, if any. */
  pushLine(text: string, line: number): CsvRow | undefined {
    if (!this.inQuotes) {
      this.rowStart = line;
      this.fields = [];
      this.field = '';
      this.afterQuote = false;
    } else {
      this.field += '\n';
    }
    for (let i = 0; i < text.length; i++) {
      const ch = text[i];
      if (this.inQuotes) {
        if (ch === '"') {
          if (text[i + 1] === '"') {
            this.field += '"';
            i++;
          } else {
            this.inQuotes = false;
            this.afterQuote = true;
          }
        } else {
          this.field += ch;
        }
      } else if (ch === ',') {
        this.fields.push(this.field);
        this.field = '';
        this.afterQuote = false;
      } else if (this.afterQuote) {
        throw new DataError(`unexpected character '${ch}' after a closing quote`, { file: this.file, line });
      } else if (ch === '"') {
        if (this.field !== '') {
          throw new DataError('quote inside an unquoted field (quote the whole field and double inner quotes)', {
            file: this.file,
            line,
          });
        }
        this.inQuotes = true;
      } else {
        this.field += ch;
      }
    }
    if (this.inQuotes) return undefined;
    this.fields.push(this.field);
    return { line: this.rowStart, fields: this.fields };
  }

  /** True while a quoted field is open across lines. */
  pendingField(): boolean {
    return this.inQuotes;
  }

  /** Call at end of input: a quoted field still open is an error. */
  finish(): void {
    if (this.inQuotes) {
      throw new DataError('unterminated quoted field at end of file', { file: this.file, line: this.rowStart });
    }
  }
}

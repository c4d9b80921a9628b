/** Every bad-input problem in src/data is a DataError that names where it was found. */

export interface DataLocation {
  file: string;
  /** 1-based line number, when the problem sits on a line. */
  line?: number;
}

export class DataError extends Error {
  readonly file: string;
  readonly line: number | undefined;

  constructor(message: string, where: DataLocation) {
    super(where.line === undefined ? `${where.file}: ${message}` : `${where.file}: line ${where.line}: ${message}`);
    this.name = 'DataError';
    this.file = where.file;
    this.line = where.line;
  }
}

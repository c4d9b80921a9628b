// Masked-LM data: documents packed into fixed-length [CLS] ... [SEP] blocks,
// and BERT's masking rule (15% of tokens: 80% [MASK], 10% random, 10% kept).

export interface SpecialIds { pad: number; cls: number; sep: number; mask: number; unk: number }

/** Concatenates token streams (a [SEP] between documents) and cuts blocks of seqLen tokens. */
export function packBlocks(docs: readonly number[][], seqLen: number, special: SpecialIds): Int32Array[] {
  const body = seqLen - 2;
  const blocks: Int32Array[] = [];
  let current: number[] = [];
  const flush = () => {
    const block = new Int32Array(seqLen).fill(special.pad);
    block[0] = special.cls;
    block.set(current, 1);
    block[current.length + 1] = special.sep;
    blocks.push(block);
    current = [];
  };
  for (const doc of docs) {
    for (const id of [...doc, special.sep]) {
      current.push(id);
      if (current.length === body) flush();
    }
  }
  if (current.length > body / 2) flush(); // a short tail would be mostly padding
  return blocks;
}

export interface MaskedBatch {
  /** row-major [B, T] */
  inputIds: Int32Array;
  attentionMask: Int32Array;
  /** flat indices (into B*T) of the positions to predict, and their original ids */
  positions: number[];
  targets: number[];
}

/** Applies BERT's masking to a batch of blocks; `rand` is a seeded uniform [0, 1) source. */
export function maskBatch(blocks: readonly Int32Array[], vocabSize: number, special: SpecialIds, rand: () => number, rate = 0.15): MaskedBatch {
  const seqLen = blocks[0]!.length;
  const inputIds = new Int32Array(blocks.length * seqLen);
  const attentionMask = new Int32Array(blocks.length * seqLen);
  const positions: number[] = [];
  const targets: number[] = [];
  const isSpecial = (id: number) => id === special.pad || id === special.cls || id === special.sep;
  blocks.forEach((block, b) => {
    for (let t = 0; t < seqLen; t++) {
      const flat = b * seqLen + t;
      const id = block[t]!;
      inputIds[flat] = id;
      attentionMask[flat] = id === special.pad ? 0 : 1;
      if (isSpecial(id) || rand() >= rate) continue;
      positions.push(flat);
      targets.push(id);
      const r = rand();
      if (r < 0.8) inputIds[flat] = special.mask;
      else if (r < 0.9) inputIds[flat] = Math.floor(rand() * vocabSize);
    }
  });
  return { inputIds, attentionMask, positions, targets };
}

/**
 * Brown tags -> the 12 universal tags of Petrov, Das & McDonald (2012), following the
 * universal-pos-tags en-brown.map that NLTK's `tagset='universal'` uses. That file lists every
 * compound tag of the corpus; here it is written as a base-tag table plus rules, checked against
 * NLTK's published totals (docs/datasets/brown-pos.md: within 7 tokens per tag over 1.16M):
 *
 * 1. `fw-...` (foreign word) -> X, whatever follows.
 * 2. The -tl (title), -hl (headline) and -nc (cited word) suffixes are dropped, wherever they sit
 *    ("nn-tl-hl", "ber*-nc").
 * 3. `+` contractions ("pps+bez" it's, "ppss+md" I'd, "vb+ppo" let's): the first part's tag when
 *    that is VERB, ADP or ADJ, else PRT, as the mapping file does (it's -> PRT, not PRON).
 * 4. A trailing `*` (negation, "bez*" isn't) is dropped; the tag `*` itself (not, n't) is ADV.
 * 5. The base tag from UNIVERSAL_BY_BASE; `nil` (untagged in the corpus) -> X.
 * A base tag the table lacks is an error (a corpus change should not pass silently).
 */

export const UNIVERSAL_TAGS = ['.', 'ADJ', 'ADP', 'ADV', 'CONJ', 'DET', 'NOUN', 'NUM', 'PRON', 'PRT', 'VERB', 'X'] as const;
export type UniversalTag = (typeof UNIVERSAL_TAGS)[number];

const GROUPS: Record<UniversalTag, string> = {
  '.': ". , `` '' ' -- ( ) :",
  ADJ: 'ap jj jjr jjs jjt od jj$',
  ADP: 'in cs',
  ADV: '* rb rbr rbt rn rb$ ql qlp wql wrb',
  CONJ: 'cc',
  // pp$ (my, their) and wp$ (whose) are determiners in this mapping, not pronouns.
  DET: 'at abx dt dti dts dtx dt$ wdt pp$ wp$',
  NOUN: 'nn nns np nps nr nrs nn$ nns$ np$ nps$ nr$ pn pn$',
  NUM: 'cd cd$',
  PRON: 'pp$$ ppl ppls ppo pps ppss wpo wps',
  // abl (quite), abn (all, half), ap$ (other's), ex (existential there), rp, to, uh (interjections).
  PRT: 'abl abn ap$ ex rp to uh',
  VERB: 'be bed bedz beg bem ben ber bez do dod doz hv hvd hvg hvn hvz md vb vbd vbg vbn vbz',
  X: 'nil',
};

export const UNIVERSAL_BY_BASE: ReadonlyMap<string, UniversalTag> = new Map(
  (Object.entries(GROUPS) as Array<[UniversalTag, string]>).flatMap(([tag, bases]) => bases.split(' ').map((base) => [base, tag] as const)),
);

const SUFFIXES = /-(tl|hl|nc)(?=-|\*|$)/g;
const KEEP_FIRST_PART: ReadonlySet<UniversalTag> = new Set(['VERB', 'ADP', 'ADJ']);

/** The universal tag of a Brown tag as the corpus files write it (lower case); undefined if unknown. */
export function brownToUniversal(brownTag: string): UniversalTag | undefined {
  const tag = brownTag.toLowerCase();
  if (tag.startsWith('fw-')) return 'X';
  const stripped = tag.replace(SUFFIXES, '');
  const plus = stripped.indexOf('+');
  if (plus > 0) {
    const first = baseTag(stripped.slice(0, plus));
    if (first === undefined) return undefined;
    return KEEP_FIRST_PART.has(first) ? first : 'PRT';
  }
  return baseTag(stripped);
}

function baseTag(tag: string): UniversalTag | undefined {
  const base = tag.length > 1 && tag.endsWith('*') ? tag.slice(0, -1) : tag;
  return UNIVERSAL_BY_BASE.get(base);
}

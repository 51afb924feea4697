#!/usr/bin/env node
// Rewrites citations of documents that live outside the repository (the original design, vendor
// and style notes, issue numbers) into citations of docs/ pages, using a map from each outside
// citation to its docs/ replacement (docs/decisions.md §48):
//
//   node scripts/rewrite-citations.mjs <map.json> <file or folder>... [--dry-run]
//
// The map is a JSON object. Keys of these shapes are citations; the rest are literal phrases,
// replaced first (longest first) where a citation reads badly after a plain substitution:
//   "DESIGN §9.2"            a design section (also cited as `DESIGN.md §…`, in lists such as
//                            `DESIGN §2, §9.1–9.2`, across a wrapped comment line, or bare `§9.N`)
//   "DESIGN.md"              the design document without a section
//   "VENDORS.md", "VENDORS.md \"Pax8\""   the vendor notes, optionally with a quoted section
//   "STYLE", "STYLE \"…\""  the style notes
//   "issue 12", "issue 12 §6", "issue 10 item 5"   an issue, optionally with a section or item
// Values are replacements such as "docs/design.md §6.5" or "docs/design.md §8.2, §8.3".
//
// It prints every change as `file:line: before → after`, and exits 1 when a citation has no entry
// in the map or when anything test/unit/no-outside-citations.test.ts looks for is still there
// afterwards (with --dry-run nothing is written, the same report is printed).
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, extname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Extensions of the files that carry prose: code comments, docs, templates, settings. */
export const PROSE_EXTENSIONS = [
  '.ts',
  '.mts',
  '.cts',
  '.js',
  '.mjs',
  '.cjs',
  '.md',
  '.bicep',
  '.json',
  '.yaml',
  '.yml',
];

/** Files that name the patterns themselves, and generated or copied files. */
const SKIPPED_FILES = new Set([
  'rewrite-citations.mjs',
  'rewrite-citations.d.mts',
  'no-outside-citations.test.ts',
  'package-lock.json',
]);
const SKIPPED_DIRS = new Set(['node_modules', '.git', 'dist', '.azurite', '.tmp', 'fixtures']);

/**
 * What counts as a citation of something outside the repository, with a reason for the report.
 * The test (test/unit/no-outside-citations.test.ts) runs the same list over every tracked file.
 */
export const OUTSIDE_CITATION_PATTERNS = [
  { pattern: /\bDESIGN\b/g, reason: 'cites the original design document' },
  { pattern: /\bVENDORS\b/g, reason: 'cites the original vendor notes' },
  { pattern: /\bSTYLE\b/g, reason: 'cites the original style notes' },
  { pattern: /\.\.\/shared\/[A-Z]/g, reason: 'points at a document beside the repository' },
  { pattern: /\b[Ii]ssues? #?\d+/g, reason: 'cites an issue number' },
  { pattern: /\b[Tt]he issue(?:'s)?\b/g, reason: 'cites "the issue"' },
  // The design's own §9.N numbering; docs/design.md has no §9.N and RFCs keep their sections.
  { pattern: /(?<!RFC \d+ )(?<![\w/.]md )§9\.\d+/g, reason: 'cites a design section without naming a docs/ page' },
];

/**
 * Every outside citation in `text`, with its line number.
 * @param {string} text
 * @returns {{ line: number; match: string; reason: string }[]}
 */
export function findOutsideCitations(text) {
  const found = [];
  for (const { pattern, reason } of OUTSIDE_CITATION_PATTERNS) {
    for (const m of text.matchAll(new RegExp(pattern.source, pattern.flags))) {
      found.push({ line: lineOf(text, m.index), match: m[0], reason });
    }
  }
  return found.sort((a, b) => a.line - b.line);
}

/** @param {string} text @param {number} index */
function lineOf(text, index) {
  let line = 1;
  for (let i = 0; i < index; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

const SECTION = String.raw`§\d+(?:\.\d+)*(?:[–-]\d+(?:\.\d+)*)?`;
const SECTION_LIST = String.raw`${SECTION}(?:(?:,[ \t]*|[ \t]+and[ \t]+)${SECTION})*`;
/** `DESIGN §…` or `DESIGN.md §…`, possibly wrapped onto the next comment line. */
const DESIGN_LIST = new RegExp(
  String.raw`\bDESIGN(?:\.md)?([ \t]*(?:\r?\n[ \t]*(?:\*|\/\/|#)?[ \t]*)?)(${SECTION_LIST})`,
  'g',
);
// A bare design section; one still after `DESIGN` was left there because the map lacks it.
const BARE_DESIGN = /(?<!RFC \d+ )(?<![\w/.]md )(?<!DESIGN(?:\.md)?[\s*/#]*)(§9\.\d+(?:[–-]\d+(?:\.\d+)*)?)/g;
const OUTSIDE_FILE = /(?:\.\.\/shared\/)?\b(DESIGN|VENDORS|STYLE)\.md\b(?: "([^"\n]+)")?/g;
const STYLE_CITE = /\bSTYLE\b(?: "([^"\n]+)")?/g;
const ISSUE = /\b([Ii])ssue (\d+)(?: §(\d+)(?:[–-](\d+))?| item (\d+))?/g;

const CITATION_KEY =
  /^(?:DESIGN §\d+(?:\.\d+)*|(?:DESIGN|VENDORS|STYLE)\.md(?: "[^"]+")?|STYLE(?: "[^"]+")?|issue \d+(?: §\d+| item \d+)?)$/;

/**
 * Splits the map into literal phrases and citation entries.
 * @param {Record<string, string>} map
 */
function prepareMap(map) {
  const phrases = [];
  const citations = new Map();
  for (const [key, value] of Object.entries(map)) {
    if (typeof value !== 'string') throw new Error(`map entry ${JSON.stringify(key)} is not a string`);
    if (CITATION_KEY.test(key)) citations.set(key, value);
    else phrases.push([key, value]);
  }
  phrases.sort((a, b) => b[0].length - a[0].length);
  return { phrases, citations };
}

/** `§9.1–9.3` → ['9.1', '9.2', '9.3']; `§5–6` → ['5', '6']; `§4` → ['4']. */
function expandSection(section) {
  const [from, to] = section.replace('§', '').split(/[–-]/);
  if (to === undefined) return [from];
  const head = from.split('.');
  const tail = to.split('.');
  const prefix = head.slice(0, -1);
  const first = Number(head.at(-1));
  // `9.1–9.2` repeats the prefix, `9.1–2` does not: either way the last number counts.
  const last = Number(tail.at(-1));
  if (!(last >= first) || last - first > 20) return [from, to];
  const out = [];
  for (let n = first; n <= last; n++) out.push([...prefix, String(n)].join('.'));
  return out;
}

/**
 * Joins mapped values: "docs/design.md §3.1" and "docs/design.md §6.4, §6.5" become
 * "docs/design.md §3.1, §6.4, §6.5"; repeated sections appear once.
 * @param {string[]} values
 */
function joinTargets(values) {
  /** @type {Map<string, string[]>} */
  const byFile = new Map();
  for (const value of values) {
    const m = /^(\S+)(?: (§.*))?$/.exec(value);
    if (!m) {
      byFile.set(value, byFile.get(value) ?? []);
      continue;
    }
    const sections = byFile.get(m[1]) ?? [];
    for (const s of (m[2] ?? '').split(/,\s*/).filter(Boolean)) if (!sections.includes(s)) sections.push(s);
    byFile.set(m[1], sections);
  }
  return [...byFile].map(([file, sections]) => (sections.length ? `${file} ${sections.join(', ')}` : file)).join(', ');
}

/**
 * Rewrites the outside citations of one text.
 * @param {string} text
 * @param {Record<string, string>} map
 * @returns {{ text: string; unmapped: { line: number; citation: string }[] }}
 */
export function rewriteCitations(text, map) {
  const { phrases, citations } = prepareMap(map);
  const unmapped = [];
  let out = text;
  const miss = (source, index, citation) => unmapped.push({ line: lineOf(source, index), citation });

  for (const [phrase, value] of phrases) out = out.split(phrase).join(value);

  const sectionsOf = (source, index, list, keyPrefix) => {
    const values = [];
    for (const item of list.split(/,[ \t]*|[ \t]+and[ \t]+/)) {
      for (const section of expandSection(item.trim())) {
        const key = `${keyPrefix} §${section}`;
        const value = citations.get(key);
        if (value === undefined) miss(source, index, key);
        else values.push(value);
      }
    }
    return values;
  };

  out = out.replace(DESIGN_LIST, (whole, sep, list, index, source) => {
    const values = sectionsOf(source, index, list, 'DESIGN');
    if (values.length === 0) return whole;
    const joined = joinTargets(values);
    // Keep a wrapped comment wrapped: the file name stays where DESIGN was.
    const cut = joined.indexOf(' §');
    return sep.includes('\n') && cut > 0 ? `${joined.slice(0, cut)}${sep}${joined.slice(cut + 1)}` : joined;
  });

  out = out.replace(OUTSIDE_FILE, (whole, doc, section, index, source) => {
    const keys = section ? [`${doc}.md "${section}"`] : [`${doc}.md`];
    for (const key of keys) {
      const value = citations.get(key);
      if (value !== undefined) return value;
    }
    miss(source, index, keys[0]);
    return whole;
  });

  out = out.replace(STYLE_CITE, (whole, section, index, source) => {
    const value = citations.get(section ? `STYLE "${section}"` : 'STYLE') ?? citations.get('STYLE.md');
    if (value === undefined) {
      miss(source, index, whole);
      return whole;
    }
    return value;
  });

  out = out.replace(BARE_DESIGN, (whole, list, index, source) => {
    const values = sectionsOf(source, index, list, 'DESIGN');
    return values.length ? joinTargets(values) : whole;
  });

  out = out.replace(ISSUE, (whole, _i, issue, from, to, item, index, source) => {
    /** @type {string[]} */
    let keys;
    if (item) keys = [`issue ${issue} item ${item}`];
    else if (from) keys = expandSection(to ? `§${from}–${to}` : `§${from}`).map((s) => `issue ${issue} §${s}`);
    else keys = [`issue ${issue}`];
    const values = [];
    for (const key of keys) {
      const value = citations.get(key);
      if (value === undefined) miss(source, index, key);
      else values.push(value);
    }
    return values.length === keys.length ? joinTargets(values) : whole;
  });

  return { text: out, unmapped };
}

/** @param {string} path @param {string[]} into */
function collectFiles(path, into) {
  const stat = statSync(path);
  if (stat.isDirectory()) {
    if (SKIPPED_DIRS.has(basename(path))) return into;
    for (const entry of readdirSync(path).sort()) collectFiles(join(path, entry), into);
  } else if (PROSE_EXTENSIONS.includes(extname(path)) && !SKIPPED_FILES.has(basename(path))) {
    into.push(path);
  }
  return into;
}

/** Lines that differ between two versions of a text, for the report. */
function changedLines(before, after) {
  const a = before.split('\n');
  const b = after.split('\n');
  if (a.length !== b.length) return [{ line: 0, before: '(line count changed)', after: '' }];
  const out = [];
  for (let i = 0; i < a.length; i++)
    if (a[i] !== b[i]) out.push({ line: i + 1, before: a[i].trim(), after: b[i].trim() });
  return out;
}

function main(argv) {
  const dryRun = argv.includes('--dry-run');
  const [mapPath, ...paths] = argv.filter((a) => a !== '--dry-run');
  if (!mapPath || paths.length === 0) {
    console.error('usage: node scripts/rewrite-citations.mjs <map.json> <file or folder>... [--dry-run]');
    return 2;
  }
  const map = JSON.parse(readFileSync(mapPath, 'utf8'));
  const files = paths.flatMap((p) => collectFiles(p, []));
  let rewritten = 0;
  let changedFiles = 0;
  const problems = [];
  for (const file of files) {
    const before = readFileSync(file, 'utf8');
    const { text: after, unmapped } = rewriteCitations(before, map);
    const name = relative(process.cwd(), file);
    for (const u of unmapped) problems.push(`${name}:${u.line}: no map entry for ${JSON.stringify(u.citation)}`);
    if (after !== before) {
      changedFiles++;
      for (const c of changedLines(before, after)) {
        rewritten++;
        console.log(
          `${name}:${c.line}: ${c.before}\n${' '.repeat(name.length + String(c.line).length + 2)}→ ${c.after}`,
        );
      }
      if (!dryRun) writeFileSync(file, after);
    }
    for (const left of findOutsideCitations(after)) {
      problems.push(`${name}:${left.line}: ${JSON.stringify(left.match)} ${left.reason}`);
    }
  }
  console.log(
    `${dryRun ? 'would rewrite' : 'rewrote'} ${rewritten} line(s) in ${changedFiles} of ${files.length} file(s)`,
  );
  const unique = [...new Set(problems)];
  if (unique.length > 0) {
    console.error(`${unique.length} outside citation(s) remain:`);
    for (const p of unique) console.error(`  ${p}`);
    return 1;
  }
  console.log('no outside citations remain');
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = main(process.argv.slice(2));
}

import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * Reading Bicep as text. There is no Bicep CLI on these machines, so the infra tests scan the
 * templates with a small scanner that knows Bicep comments, strings and interpolations, and pick
 * out blocks, object entries and resource declarations by bracket matching.
 */

export const repoRoot = join(__dirname, '..', '..');
export const infraDir = join(repoRoot, 'infra');

export interface BicepFile {
  path: string;
  /** The text with comments blanked (same length, newlines kept). */
  code: string;
  /** `code` with string contents blanked as well: only structure is left, for bracket matching. */
  skeleton: string;
}

/** Blanks comments (and, in the skeleton, string contents) while keeping every offset in place. */
export function scanBicep(text: string): { code: string; skeleton: string } {
  let code = '';
  let skeleton = '';
  // 'string' for a '...' literal, 'interp' for a ${...} inside one; each interp counts its own braces.
  const stack: { mode: 'string' | 'interp'; depth: number }[] = [];
  const blank = (s: string) => s.replace(/[^\n]/g, ' ');
  const emit = (raw: string, inString: boolean) => {
    code += raw;
    skeleton += inString ? blank(raw) : raw;
  };
  let i = 0;
  while (i < text.length) {
    const top = stack[stack.length - 1];
    const inString = stack.length > 0;
    const c = text[i] ?? '';
    const next = text[i + 1] ?? '';
    if (top?.mode === 'string') {
      if (c === '\\') {
        emit(text.slice(i, i + 2), true);
        i += 2;
      } else if (c === "'") {
        stack.pop();
        emit(c, stack.length > 0);
        i += 1;
      } else if (c === '$' && next === '{') {
        stack.push({ mode: 'interp', depth: 0 });
        emit('${', true);
        i += 2;
      } else {
        emit(c, true);
        i += 1;
      }
      continue;
    }
    if (c === '/' && next === '/') {
      const end = text.indexOf('\n', i);
      const stop = end === -1 ? text.length : end;
      const comment = blank(text.slice(i, stop));
      code += comment;
      skeleton += comment;
      i = stop;
      continue;
    }
    if (c === '/' && next === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end === -1 ? text.length : end + 2;
      const comment = blank(text.slice(i, stop));
      code += comment;
      skeleton += comment;
      i = stop;
      continue;
    }
    if (text.startsWith("'''", i)) {
      const end = text.indexOf("'''", i + 3);
      const stop = end === -1 ? text.length : end + 3;
      const literal = text.slice(i, stop);
      code += literal;
      skeleton += inString ? blank(literal) : `'''${blank(literal.slice(3, -3))}'''`;
      i = stop;
      continue;
    }
    if (c === "'") {
      emit(c, inString);
      stack.push({ mode: 'string', depth: 0 });
      i += 1;
      continue;
    }
    if (top?.mode === 'interp') {
      if (c === '{') top.depth += 1;
      if (c === '}') {
        if (top.depth === 0) {
          stack.pop();
          emit(c, true);
          i += 1;
          continue;
        }
        top.depth -= 1;
      }
    }
    emit(c, inString);
    i += 1;
  }
  return { code, skeleton };
}

export function bicepFilesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.bicep'))
    .map((name) => join(dir, name))
    .sort();
}

export function loadBicep(path: string): BicepFile {
  return { path, ...scanBicep(readFileSync(path, 'utf8')) };
}

/** A piece of Bicep text (a resource body, a sample) scanned on its own. */
export function fragment(label: string, text: string): BicepFile {
  return { path: label, ...scanBicep(text) };
}

/** Every .bicep file under infra/, scanned. */
export const files = bicepFilesUnder(infraDir).map(loadBicep);

/** A template by its path inside infra/ (forward slashes). */
export function file(pathInInfra: string): BicepFile {
  const found = files.find((f) => infraPath(f) === pathInInfra);
  if (!found) throw new Error(`infra/${pathInInfra} not found`);
  return found;
}

/** The path of a template inside infra/, with forward slashes. */
export function infraPath(f: BicepFile): string {
  return relative(infraDir, f.path).split('\\').join('/');
}

export const OPENERS: Record<string, string> = { '{': '}', '[': ']', '(': ')' };
export const CLOSERS = new Set(Object.values(OPENERS));

/** Problems with bracket nesting in a skeleton; empty when every bracket is matched. */
export function bracketProblems(f: BicepFile): string[] {
  const open: { char: string; at: number }[] = [];
  const problems: string[] = [];
  const line = (at: number) => f.skeleton.slice(0, at).split('\n').length;
  for (let at = 0; at < f.skeleton.length; at++) {
    const c = f.skeleton[at] ?? '';
    if (c in OPENERS) open.push({ char: c, at });
    else if (CLOSERS.has(c)) {
      const last = open.pop();
      if (!last || OPENERS[last.char] !== c) problems.push(`unexpected '${c}' on line ${line(at)}`);
    }
  }
  for (const o of open) problems.push(`unclosed '${o.char}' from line ${line(o.at)}`);
  return problems;
}

/** The text of the bracketed block that opens at `openAt` (which must hold `{` or `[`), brackets included. */
export function blockAt(f: BicepFile, openAt: number): string {
  const openChar = f.skeleton[openAt] ?? '';
  const closeChar = OPENERS[openChar];
  if (!closeChar) throw new Error(`no bracket at offset ${openAt} of ${f.path}`);
  let depth = 0;
  for (let at = openAt; at < f.skeleton.length; at++) {
    const c = f.skeleton[at];
    if (c === openChar) depth += 1;
    else if (c === closeChar) {
      depth -= 1;
      if (depth === 0) return f.code.slice(openAt, at + 1);
    }
  }
  throw new Error(`unclosed block at offset ${openAt} of ${f.path}`);
}

/** The block whose opening bracket ends the first match of `header` (e.g. /^var appSettings = \{/m). */
export function blockAfter(f: BicepFile, header: RegExp): string {
  const match = header.exec(f.code);
  if (!match) throw new Error(`${header} not found in ${f.path}`);
  return blockAt(f, match.index + match[0].length - 1);
}

/** Top-level `key: value` entries of a Bicep object block (nested objects are skipped). */
export function objectEntries(block: string): Map<string, string> {
  const inner = scanBicep(block.slice(1, -1));
  const entries = new Map<string, string>();
  let depth = 0;
  let lineStart = 0;
  for (let at = 0; at <= inner.skeleton.length; at++) {
    const c = inner.skeleton[at];
    if (at === inner.skeleton.length || c === '\n') {
      if (depth === 0) {
        const text = inner.code.slice(lineStart, at);
        const entry = /^\s*([A-Za-z_][A-Za-z0-9_]*|'[^']*')\s*:\s*(.*?)\s*$/.exec(text);
        if (entry?.[1] !== undefined && entry[2] !== undefined) {
          entries.set(entry[1].replace(/^'|'$/g, ''), entry[2]);
        }
      }
      lineStart = at + 1;
    }
    if (c === '{' || c === '[' || c === '(') depth += 1;
    if (c === '}' || c === ']' || c === ')') depth -= 1;
  }
  return entries;
}

/** String literals listed in a Bicep array block, one per line. */
export function arrayStrings(block: string): string[] {
  return [...block.matchAll(/^\s*'([^']*)'\s*$/gm)].map((m) => m[1] ?? '');
}

export interface ResourceDeclaration {
  file: BicepFile;
  symbol: string;
  type: string;
  apiVersion: string;
  existing: boolean;
  /** The declaration line up to the opening brace (holds any `[for x in y:` and `if (...)`). */
  header: string;
  body: string;
}

/** Every `resource` declaration with a full type (nested child shorthands like 'config' excluded). */
export function resourceDeclarations(): ResourceDeclaration[] {
  const out: ResourceDeclaration[] = [];
  for (const f of files) {
    const pattern =
      /^\s*resource\s+(\w+)\s+'([\w.]+\/[\w./]+)@([^']+)'\s*(existing\s*)?=\s*(?:\[for\b[^\n]*?:\s*(?:if\s*\([^\n]*\)\s*)?|if\s*\([^\n]*\)\s*)?\{/gm;
    for (const m of f.code.matchAll(pattern)) {
      out.push({
        file: f,
        symbol: m[1] ?? '',
        type: m[2] ?? '',
        apiVersion: m[3] ?? '',
        existing: m[4] !== undefined,
        header: m[0],
        body: blockAt(f, (m.index ?? 0) + m[0].length - 1),
      });
    }
  }
  return out;
}

export const resources = resourceDeclarations();

export function declared(type: string): ResourceDeclaration[] {
  return resources.filter((r) => !r.existing && r.type.toLowerCase() === type.toLowerCase());
}

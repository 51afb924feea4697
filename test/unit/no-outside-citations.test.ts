import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findOutsideCitations, PROSE_EXTENSIONS, rewriteCitations } from '../../scripts/rewrite-citations.mjs';

/**
 * Everything the repository relies on is written down inside it (docs/design.md, docs/vendors.md,
 * docs/decisions.md): no comment or page may send a reader to a document the repository does not
 * hold or to an issue number. The patterns live in scripts/rewrite-citations.mjs, which also
 * rewrites such citations from a map (docs/decisions.md §48).
 */
const repoRoot = join(__dirname, '..', '..');

/** Files that name the patterns on purpose, and copies of outside material kept verbatim. */
const EXEMPT = [
  /^test\/fixtures\//,
  /(^|\/)package-lock\.json$/,
  /^scripts\/rewrite-citations\.(mjs|d\.mts)$/,
  /^test\/unit\/no-outside-citations\.test\.ts$/,
];

function trackedProseFiles(): string[] {
  const listed = execFileSync('git', ['ls-files', '-z'], { cwd: repoRoot, encoding: 'utf8' });
  return listed
    .split('\0')
    .filter((path) => path.length > 0)
    .filter((path) => PROSE_EXTENSIONS.includes(extname(path)) && !EXEMPT.some((rule) => rule.test(path)));
}

describe('citations stay inside the repository', () => {
  it('no tracked code, doc, template or settings file cites an outside document or an issue number', () => {
    const files = trackedProseFiles();
    expect(files.length).toBeGreaterThan(100);
    const found: string[] = [];
    for (const path of files) {
      let text: string;
      try {
        text = readFileSync(join(repoRoot, path), 'utf8');
      } catch {
        continue; // listed by git but deleted in the work tree: nothing to read
      }
      for (const hit of findOutsideCitations(text)) found.push(`${path}:${hit.line}: ${hit.match} (${hit.reason})`);
    }
    expect(
      found,
      `cite docs/ instead (docs/design.md, docs/vendors.md, docs/decisions.md):\n${found.join('\n')}`,
    ).toEqual([]);
  });

  it('recognises each form an outside citation takes', () => {
    const samples = [
      'see DESIGN §9.2',
      'see ../shared/DESIGN.md',
      '(VENDORS.md "Pax8")',
      '(STYLE: one table)',
      'issue 12 §6',
      'Issue 11 "Must show"',
      "(the issue's 4 KiB)",
      'idempotent per §9.2',
    ];
    for (const sample of samples) expect(findOutsideCitations(sample), sample).not.toEqual([]);
    const innocent = [
      'docs/design.md §6.5',
      'docs/decisions.md §38',
      'RFC 9110 §10.2.3',
      'LOCAL_FAKE_VENDORS=true',
      'result.error.issues[0]',
      'Issue a new secret',
    ];
    for (const sample of innocent) expect(findOutsideCitations(sample), sample).toEqual([]);
  });

  it('the rewrite maps lists, ranges, wrapped comments, bare sections and issues, and reports what it cannot map', () => {
    const map = {
      'DESIGN §2': 'docs/design.md §3.1',
      'DESIGN §9.1': 'docs/design.md §6.4',
      'DESIGN §9.2': 'docs/design.md §6.5',
      'VENDORS.md "Pax8"': 'docs/vendors.md §6',
      'issue 11 §5': 'docs/design.md §7.2',
      'issue 11 §6': 'docs/design.md §7.3',
      '(the issue asks)': '(docs/design.md §6.6)',
    };
    const before = [
      '/** The queue port (DESIGN §2, §9.1–9.2). */',
      '/** idempotent per message id, DESIGN',
      ' * §9.2) and more; see §9.1. */',
      '// Pax8 (VENDORS.md "Pax8"), states (issue 11 §5–6), retried (the issue asks).',
      '// unknown: DESIGN §9.7 and issue 99',
    ].join('\n');
    const { text, unmapped } = rewriteCitations(before, map);
    expect(text.split('\n')).toEqual([
      '/** The queue port (docs/design.md §3.1, §6.4, §6.5). */',
      '/** idempotent per message id, docs/design.md',
      ' * §6.5) and more; see docs/design.md §6.4. */',
      '// Pax8 (docs/vendors.md §6), states (docs/design.md §7.2, §7.3), retried (docs/design.md §6.6).',
      '// unknown: DESIGN §9.7 and issue 99',
    ]);
    expect(unmapped.map((u) => u.citation)).toEqual(['DESIGN §9.7', 'issue 99']);
  });
});

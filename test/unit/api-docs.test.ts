import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../shared/errors/codes';
import { ERROR_TABLE } from '../../shared/http/error-table';
import { ROOT } from '../support/host-process';

/**
 * docs/api.md lists every error code with its status and every operation of the API. Both lists
 * were written by hand and drifted; these checks make a new code or route without a doc row fail,
 * and the failure message is the row to paste.
 */
const apiDoc = readFileSync(join(ROOT, 'docs/api.md'), 'utf8');
const tableRows = apiDoc.split('\n').filter((line) => line.startsWith('|'));

function cells(row: string): string[] {
  return row
    .split('|')
    .slice(1, -1)
    .map((cell) => cell.trim());
}

interface OpenApiDocument {
  paths: Record<string, Record<string, { summary?: string }>>;
}

describe('docs/api.md', () => {
  it('has a row for every error code with the status the error table gives it', () => {
    const documented = new Map<string, string>();
    for (const row of tableRows) {
      const [first, second] = cells(row);
      const code = /^`([a-z_]+)`$/.exec(first ?? '')?.[1];
      if (code && /^\d{3}$/.test(second ?? '')) documented.set(code, second ?? '');
    }
    const missing = ERROR_CODES.filter((code) => documented.get(code) !== String(ERROR_TABLE[code].status)).map(
      (code) => `| \`${code}\` | ${ERROR_TABLE[code].status} | ${ERROR_TABLE[code].title} | … |`,
    );
    expect(missing).toEqual([]);
  });

  it('lists every operation of the OpenAPI document, the webhook receiver included', () => {
    const document = JSON.parse(
      readFileSync(join(ROOT, 'test/fixtures/openapi/document.json'), 'utf8'),
    ) as OpenApiDocument;
    const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} /api${path}`),
    );
    const listed = new Set(tableRows.map((row) => /^`([A-Z]+ \/api\/[^`]*)`$/.exec(cells(row)[0] ?? '')?.[1]));
    expect(operations.filter((operation) => !listed.has(operation))).toEqual([]);
  });
});

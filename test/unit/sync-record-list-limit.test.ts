import { describe, expect, it } from 'vitest';
import { MAX_RECORD_LIST_LIMIT, recordListQuery } from '../../shared/sync/api-schemas';

/** Synced record lists page up to 1,000 (one Table Storage page): docs/sync.md, "Reading records". */
describe('synced record lists: limit', () => {
  it('takes up to 1,000 and defaults to 50', () => {
    expect(MAX_RECORD_LIST_LIMIT).toBe(1000);
    expect(recordListQuery.parse({ integrationId: 'i1', limit: '1000' }).limit).toBe(1000);
    expect(recordListQuery.parse({ integrationId: 'i1' }).limit).toBe(50);
  });

  it('refuses 0 and 1,001', () => {
    expect(recordListQuery.safeParse({ integrationId: 'i1', limit: '1001' }).success).toBe(false);
    expect(recordListQuery.safeParse({ integrationId: 'i1', limit: '0' }).success).toBe(false);
  });
});

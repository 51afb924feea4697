export { BlobStore, type PutResult } from './blob-store';
export * from './connection';
export { decodeCursor, encodeCursor, setCursorKey } from './cursor';
export * from './errors';
export * from './keys';
export {
  DEFAULT_LIMIT,
  type ListOptions,
  MAX_LIMIT,
  type Page,
  type Stored,
  TableRepository,
  type UpdateOptions,
} from './table-repository';

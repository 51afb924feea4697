import { ulid } from 'ulid';

export const CORRELATION_HEADER = 'x-correlation-id';
const ACCEPTABLE = /^[A-Za-z0-9._:-]{1,128}$/;

/** Echo a caller's correlation id when it is safe to log and echo; otherwise mint one. */
export function correlationIdFrom(headerValue: string | null | undefined): string {
  return headerValue && ACCEPTABLE.test(headerValue) ? headerValue : ulid();
}

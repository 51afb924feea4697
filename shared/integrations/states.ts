/**
 * Connection states an integration shows (docs/design.md §7.2, §7.3). `checking` while a probe runs,
 * `unknown` before the first probe.
 */
export const CONNECTION_STATES = ['connected', 'disconnected', 'needs_attention', 'checking', 'unknown'] as const;
export type ConnectionStateName = (typeof CONNECTION_STATES)[number];

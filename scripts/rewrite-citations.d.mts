// Types of scripts/rewrite-citations.mjs for the TypeScript that tests it.
export declare const PROSE_EXTENSIONS: string[];
export declare const OUTSIDE_CITATION_PATTERNS: { pattern: RegExp; reason: string }[];
export declare function findOutsideCitations(text: string): { line: number; match: string; reason: string }[];
export declare function rewriteCitations(
  text: string,
  map: Record<string, string>,
): { text: string; unmapped: { line: number; citation: string }[] };

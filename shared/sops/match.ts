import type { NormalizedEvent } from '../events/contract';
import type { MatchRules } from './api-schemas';
import { conditionHolds, describeCondition } from './conditions';

/**
 * Deterministic SOP matching. Each rule a SOP sets (source, event type, keywords, each condition)
 * is one criterion; a SOP matches when all of its criteria hold, and its score is the share that
 * hold. Of the matching SOPs the highest priority wins, then the more specific (more criteria),
 * then the oldest (ids are newest-first, so the greater id). The best few by score are kept as
 * candidates either way, so a miss can say which SOP came closest and why it missed.
 */
export interface MatchableSop {
  id: string;
  name: string;
  match: MatchRules;
}

export interface Candidate {
  sopId: string;
  name: string;
  /** Share of the SOP's criteria that hold, 0..1, two decimals. */
  score: number;
  /** The criteria that did not hold, in words. */
  missed: string[];
}

export interface MatchOutcome {
  matched: Candidate | null;
  /** Best first; at most CANDIDATES. */
  candidates: Candidate[];
}

export const CANDIDATES = 3;

/** Lower case, with runs of spaces, underscores and dashes as one space: `Disk_Full` ~ `disk full`. */
export function normaliseKeyword(text: string): string {
  return text
    .toLowerCase()
    .replace(/[\s_-]+/g, ' ')
    .trim();
}

function typeMatches(pattern: string, type: string): boolean {
  if (pattern.endsWith('.*')) return type.startsWith(pattern.slice(0, -1));
  return pattern === type;
}

interface Scored extends Candidate {
  priority: number;
  criteria: number;
  matches: boolean;
}

function score(sop: MatchableSop, eventId: string, event: NormalizedEvent): Scored {
  const rules = sop.match;
  const missed: string[] = [];
  let criteria = 0;
  if (rules.source !== undefined) {
    criteria += 1;
    if (rules.source !== event.source) missed.push(`source is "${event.source}", not "${rules.source}"`);
  }
  if (rules.eventTypes && rules.eventTypes.length > 0) {
    criteria += 1;
    if (!rules.eventTypes.some((pattern) => typeMatches(pattern, event.type))) {
      missed.push(`type "${event.type}" is not one of ${rules.eventTypes.join(', ')}`);
    }
  }
  if (rules.keywords && rules.keywords.length > 0) {
    criteria += 1;
    const haystack = [...event.keywords.map(normaliseKeyword), normaliseKeyword(event.subject)];
    const found = rules.keywords.some((keyword) => {
      const needle = normaliseKeyword(keyword);
      return needle !== '' && haystack.some((text) => text === needle || text.includes(needle));
    });
    if (!found) missed.push(`none of the keywords ${rules.keywords.map((k) => `"${k}"`).join(', ')} appears`);
  }
  for (const condition of rules.conditions ?? []) {
    criteria += 1;
    if (!conditionHolds(condition, { id: eventId, event }))
      missed.push(`${describeCondition(condition)} does not hold`);
  }
  const held = criteria - missed.length;
  return {
    sopId: sop.id,
    name: sop.name,
    score: criteria === 0 ? 0 : Math.round((held / criteria) * 100) / 100,
    missed,
    priority: rules.priority,
    criteria,
    matches: criteria > 0 && missed.length === 0,
  };
}

function byPreference(a: Scored, b: Scored): number {
  if (a.matches !== b.matches) return a.matches ? -1 : 1;
  if (a.score !== b.score) return b.score - a.score;
  if (a.priority !== b.priority) return b.priority - a.priority;
  if (a.criteria !== b.criteria) return b.criteria - a.criteria;
  return a.sopId < b.sopId ? 1 : a.sopId > b.sopId ? -1 : 0;
}

function candidate(s: Scored): Candidate {
  return { sopId: s.sopId, name: s.name, score: s.score, missed: s.missed };
}

export function matchSops(sops: readonly MatchableSop[], eventId: string, event: NormalizedEvent): MatchOutcome {
  const scored = sops.map((sop) => score(sop, eventId, event)).sort(byPreference);
  const best = scored[0];
  return {
    matched: best?.matches ? candidate(best) : null,
    candidates: scored.slice(0, CANDIDATES).map(candidate),
  };
}

import { FAILURE_PROPERTIES } from '../../events/contract';
import { sopDeps } from '../../sops/deps';
import { type Candidate, matchSops } from '../../sops/match';
import { enabledSops } from '../../sops/sops';
import { normalizedEventOf, type StageContext, type StageResult } from '../stage-runner';

/**
 * SOP matching: the tenant's enabled SOPs against the normalised event, deterministically. No
 * match is a configuration signal (permanent `no_sop_matched`) that names the keyword and source
 * a new SOP would need and the closest existing SOP with its score.
 */
function describe(candidate: Candidate): string {
  const why = candidate.missed.length > 0 ? `: ${candidate.missed.join('; ')}` : '';
  return `"${candidate.name}" (${candidate.sopId}, score ${candidate.score})${why}`;
}

export async function sopMatchingWork(ctx: StageContext): Promise<StageResult> {
  const { tenantId, id: eventId } = ctx.event;
  const event = await normalizedEventOf(ctx);
  const outcome = matchSops(await enabledSops(sopDeps(), tenantId), eventId, event);
  const closest = outcome.candidates[0];
  if (!outcome.matched) {
    const keyword = event.keywords[0] ?? event.type;
    return {
      kind: 'fail',
      errorType: 'no_sop_matched',
      transient: false,
      message:
        `No enabled SOP matches this ${event.source} ${event.type} event (keywords: ${event.keywords.join(', ') || 'none'}). ` +
        (closest ? `Closest: ${describe(closest)}.` : 'The tenant has no enabled SOPs.'),
      properties: {
        [FAILURE_PROPERTIES.keyword]: keyword,
        [FAILURE_PROPERTIES.vendor]: event.source,
        ...(closest
          ? { [FAILURE_PROPERTIES.closestSopId]: closest.sopId, [FAILURE_PROPERTIES.closestSopScore]: closest.score }
          : {}),
      },
    };
  }
  const matched = outcome.matched;
  const others = outcome.candidates.filter((c) => c.sopId !== matched.sopId);
  return {
    kind: 'next',
    messages: [{ stage: 'agent_dispatch', step: 'main' }],
    detail: `matched SOP "${matched.name}" (${matched.sopId})${others.length > 0 ? `; next best ${describe(others[0]!)}` : ''}`,
    properties: { [FAILURE_PROPERTIES.sopId]: matched.sopId },
    patch: { sopId: matched.sopId },
  };
}

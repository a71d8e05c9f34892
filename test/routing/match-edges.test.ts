// The edges of route matching that a mutation run found untested.
import { describe, expect, it } from 'vitest';
import { classify } from '../../lib/event/classify';
import type { FlaggerEvent } from '../../lib/event/event';
import { filteredOut, matchReason, type Route } from '../../lib/routing/match';
import { base } from '../helpers/fixtures';

const route = (match: Route['match'], extra: Partial<Route> = {}): Route => ({
  match,
  include: [],
  exclude: [],
  to: ['a'],
  continue: false,
  ...extra,
});
const why = (r: Route, e: FlaggerEvent = base) => matchReason(r, e, classify(e));

describe('route matching, at its edges', () => {
  it('names every criterion that held, in order, and says when there were none', () => {
    const e = { ...base, metadata: { ...base.metadata, team: 'payments' } };
    expect(
      why(
        route({
          namespace: ['test'],
          phase: ['Progressing'],
          eventType: ['Normal'],
          metadata: { team: ['pay*'] },
        }),
        e,
      ),
    ).toBe(
      'match namespace ["test"], phase ["Progressing"], eventType ["Normal"], metadata {"team":["pay*"]}',
    );
    expect(why(route({}))).toBe('no match criteria (catches everything)');
  });

  it.each([
    ['phase', { phase: ['Failed'] }],
    ['eventType', { eventType: ['Warning'] }],
    ['kind', { kind: ['failed'] as Route['match']['kind'] }],
    ['severity', { severity: ['error'] as Route['match']['severity'] }],
    ['cluster', { cluster: ['prod-*'] }],
    ['a metadata key the event lacks', { metadata: { team: ['*'] } }],
  ])('fails on %s alone', (_, match) => {
    expect(why(route(match as Route['match']))).toBeUndefined();
  });

  it('takes an event matching any one include pattern, not only one matching them all', () => {
    const r = route({}, { include: [/New revision/, /never present/] });
    expect(filteredOut(r, base, classify(base))).toBeUndefined();
    expect(filteredOut(route({}, { include: [/never present/] }), base, classify(base))).toBe(
      'matches no include pattern',
    );
  });
});

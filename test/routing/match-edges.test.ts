// The edges of route matching that a mutation run found untested.
import { describe, expect, it } from 'vitest';
import { classify } from '../../lib/event/classify';
import type { FlaggerEvent } from '../../lib/event/event';
import {
  canaryScope,
  filteredOut,
  inCanaryScope,
  matchesCanary,
  matchReason,
  type Route,
} from '../../lib/routing/match';
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

describe('a canary in a digest’s scope', () => {
  const route = (match: Record<string, unknown>) => ({
    match,
    include: [],
    exclude: [],
    to: ['ops'],
    continue: false,
  });
  const c = { namespace: 'shop', name: 'cart', cluster: 'prod-eu', meta: { team: 'payments', env: 'prod' } };

  it('is judged on what a canary has: namespace, name, cluster and every metadata glob', () => {
    expect(matchesCanary(route({ namespace: ['sh*'], name: ['cart'], cluster: ['prod-*'] }), c)).toBe(true);
    expect(matchesCanary(route({ cluster: ['prod-*'] }), { namespace: 'shop', name: 'cart' })).toBe(false);
    expect(matchesCanary(route({ metadata: { team: ['pay*'], env: ['prod'] } }), c)).toBe(true);
    expect(matchesCanary(route({ metadata: { team: ['pay*'], env: ['dev'] } }), c)).toBe(false);
    expect(matchesCanary(route({ metadata: { team: ['pay*'] } }), { namespace: 'shop', name: 'cart' })).toBe(
      false,
    );
    // What only an event has does not narrow it.
    expect(matchesCanary(route({ kind: ['failed'], severity: ['error'] }), c)).toBe(true);
  });

  it('a scope is each route’s canary criteria; a route without any scopes nothing out', () => {
    expect(
      canaryScope([
        route({ name: ['cart'] }),
        route({ cluster: ['eu'], kind: ['failed'] }),
        route({ metadata: { team: ['x'] } }),
      ]),
    ).toEqual([{ name: ['cart'] }, { cluster: ['eu'] }, { metadata: { team: ['x'] } }]);
    expect(canaryScope([route({ name: ['cart'] }), route({ kind: ['failed'] })])).toBeUndefined();
    expect(canaryScope([route({ metadata: {} })])).toBeUndefined();
    expect(canaryScope([])).toBeUndefined();
  });

  it('a canary is in a scope when any of its matches selects it', () => {
    const scope = [{ name: ['cart'] }, { name: ['search'] }];
    expect(inCanaryScope(scope, c)).toBe(true);
    expect(inCanaryScope(scope, { ...c, name: 'feed' })).toBe(false);
    expect(inCanaryScope(undefined, { ...c, name: 'feed' })).toBe(true);
  });
});

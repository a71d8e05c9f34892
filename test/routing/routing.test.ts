import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classify } from '../../lib/event/classify';
import type { FlaggerEvent } from '../../lib/event/event';
import { loadRouting, parseRoutingConfig } from '../../lib/routing/config';
import { globToRegExp } from '../../lib/routing/match';
import { routeEvent } from '../../lib/routing/route';
import { memoryMuteStore, muteKey } from '../../lib/stores/mute';
import { fixtureName, fixtures } from '../helpers/fixtures';

const ENV = {
  SLACK_WEBHOOK_URL: 'https://hooks.slack.com/1',
  SLACK_SHOP_URL: 'https://hooks.slack.com/2',
  SLACK_WEB_URL: 'https://hooks.slack.com/3',
  SLACK_ONCALL_URL: 'https://hooks.slack.com/4',
  TEAMS_URL: 'https://x.logic.azure.com/5',
};
const example = (name: string) =>
  parseRoutingConfig(
    readFileSync(resolve(import.meta.dirname, `../../docs/examples/${name}.yaml`), 'utf8'),
    ENV,
    name,
  );
const NOISE = /no values found|not ready: waiting for rollout|not signaling a rollback|^skipping canary run/;

// For each example, the expected destinations written from its comment, not from the code.
const oracles: [string, (e: FlaggerEvent) => string[]][] = [
  ['one-channel', () => ['deploys']],
  [
    'per-team',
    (e) => {
      const out: string[] = [];
      if (
        e.namespace.startsWith('shop') &&
        !/no values found|not ready: waiting for rollout/.test(e.metadata.eventMessage)
      )
        out.push('team-shop');
      if (e.namespace === 'web' || e.namespace.startsWith('web-')) out.push('team-web');
      if (['started', 'succeeded', 'failed', 'rolled-back'].includes(classify(e).kind)) out.push('everyone');
      return out;
    },
  ],
  [
    'oncall-failures',
    (e) => [
      ...(classify(e).severity === 'error' ? ['oncall'] : []),
      ...(NOISE.test(e.metadata.eventMessage) ? [] : ['deploys']),
    ],
  ],
];

describe.each(oracles)('docs/examples/%s.yaml over every fixture', (name, expected) => {
  const config = example(name);
  it.each(fixtures.map((e, i) => [fixtureName(e, i), e] as const))('%s', async (_, e) => {
    expect(routeEvent(e, await config).destinations).toEqual(expected(e));
  });
});

describe('routing file errors name the path and line', () => {
  const bad: [string, string, string][] = [
    [
      'an unknown key',
      'destinations:\n  a: { type: slack }\nroutes:\n  - to: [a]\n    sned: 1\n',
      'routes.0 (line 4)',
    ],
    [
      'an unknown destination',
      'destinations:\n  a: { type: slack }\nroutes:\n  - to: [a, b]\n',
      'routes.0.to.1 (line 4): unknown destination "b"',
    ],
    [
      'an unknown type',
      'destinations:\n  a: { type: pager }\n',
      'destinations.a.type (line 2): must be one of slack, slack-app, teams, teams-bot, discord',
    ],
    [
      'an option of another provider',
      'destinations:\n  a: { type: teams, url: "https://x.logic.azure.com/y", username: bot }\n',
      'destinations.a (line 2): "username" is not an option of type teams',
    ],
    [
      'a bad option value, checked by its provider',
      'destinations:\n  a: { type: slack, iconEmoji: rocket }\n',
      'destinations.a.iconEmoji (line 2): must look like :rocket:',
    ],
    [
      'a bad regex',
      'destinations:\n  a: { type: slack }\nroutes:\n  - exclude: ["(oops"]\n    to: [a]\n',
      'routes.0.exclude.0 (line 4): must be a valid regular expression',
    ],
    [
      'a bad kind',
      'destinations:\n  a: { type: slack }\nroutes:\n  - only: [exploded]\n    to: [a]\n',
      'routes.0.only.0 (line 4)',
    ],
    [
      'a bad duration',
      'destinations:\n  a: { type: slack }\nroutes:\n  - mute: 1 day\n    to: [a]\n',
      'routes.0.mute (line 4): must be a duration',
    ],
    [
      'a route name used twice',
      'destinations:\n  a: { type: slack }\nroutes:\n  - { name: x, to: [a] }\n  - { name: x, to: [a] }\n',
      'routes.1.name (line 5): route name "x" is used twice',
    ],
    [
      'an unset variable',
      `destinations:
  a: { type: slack, url: "\${NOPE}" }
`,
      `destinations.a.url (line 2): \${NOPE} is not set`,
    ],
    ['broken YAML', 'destinations: [\n', 'not valid YAML'],
  ];
  it.each(bad)('%s', async (_, text, message) => {
    await expect(parseRoutingConfig(text, {}, 'f.yaml')).rejects.toThrow(message);
  });

  it('names CONFIG_FILE when the file cannot be read', async () => {
    await expect(loadRouting({ CONFIG_FILE: '/nonexistent.yaml' }, ['slack'])).rejects.toThrow(
      'CONFIG_FILE: cannot read /nonexistent.yaml: ENOENT',
    );
  });
});

describe('routes', async () => {
  const config = await parseRoutingConfig(
    `destinations:
  a: { type: slack }
  b: { type: teams }
routes:
  - name: direct
    match: { namespace: nothing-matches }
    minSeverity: warn
    to: [a]
  - match: { name: "pod*", phase: Progressing, eventType: Normal, kind: [progress], severity: info }
    include: ["weight"]
    to: [a]
  - to: [b]
`,
    {},
    't',
  );
  const e = (msg: string, extra: Partial<FlaggerEvent> = {}): FlaggerEvent => ({
    ...(fixtures[0] as FlaggerEvent),
    ...extra,
    metadata: { ...(fixtures[0] as FlaggerEvent).metadata, eventMessage: msg },
  });

  it('takes the first matching route, explaining why', () => {
    const d = routeEvent(e('Advance podinfo.test canary weight 10'), config);
    expect(d.destinations).toEqual(['a']);
    expect(d.steps).toEqual([
      {
        route: '#2',
        outcome: 'sent',
        reason: expect.stringContaining('match name ["pod*"]'),
        to: ['a'],
        muteSeconds: undefined,
      },
    ]);
  });

  it('stops at a matching route that filters the event out, unless it continues', () => {
    expect(routeEvent(e('Advance podinfo.test canary iteration 1/10'), config).destinations).toEqual([]);
  });

  it('lets /events/{route} select a route directly, still applying its noise control', () => {
    expect(routeEvent(e('Canary failed! x', { phase: 'Failed' }), config, 'direct').destinations).toEqual([
      'a',
    ]);
    expect(routeEvent(e('Advance podinfo.test canary weight 10'), config, 'direct').destinations).toEqual([]);
  });

  it('globs match whole names with * and ?', () => {
    expect(globToRegExp('team-?-*').test('team-a-prod')).toBe(true);
    expect(globToRegExp('team-a*').test('xteam-a')).toBe(false);
    expect(globToRegExp('a.b').test('axb')).toBe(false);
    // Whole names at both ends: `prod` is not `prod-sandbox`, nor `preprod`.
    expect(globToRegExp('prod').test('prod-sandbox')).toBe(false);
    expect(globToRegExp('prod').test('preprod')).toBe(false);
    expect(globToRegExp('prod').test('prod')).toBe(true);
    expect(globToRegExp('prod-*').test('prod-')).toBe(true);
  });

  it('without a routing file sends everything to every configured channel', async () => {
    const d = routeEvent(fixtures[5] as FlaggerEvent, await loadRouting({}, ['slack', 'teams']));
    expect(d.destinations).toEqual(['slack', 'teams']);
  });
});

describe('noise control', () => {
  it('lets exclusion win over include (docs/routing.md)', async () => {
    const config = await parseRoutingConfig(
      'destinations:\n  a: { type: slack }\nroutes:\n  - include: ["^Halt"]\n    exclude: ["no values found"]\n    to: [a]\n',
      {},
      'f.yaml',
    );
    const halt = fixtures.find((e) => e.metadata.eventMessage.startsWith('Halt checkout')) as FlaggerEvent;
    const noValues = fixtures.find((e) =>
      e.metadata.eventMessage.startsWith('Halt advancement no values'),
    ) as FlaggerEvent;
    expect(routeEvent(halt, config).destinations).toEqual(['a']);
    // Included by ^Halt, excluded by "no values found": excluded.
    expect(routeEvent(noValues, config).destinations).toEqual([]);
  });
});

describe('mute', () => {
  it('forgets expired windows once it holds many, so memory stays bounded', async () => {
    let now = 0;
    const store = memoryMuteStore(() => now);
    for (let i = 0; i < 10_001; i++) await store.claim(`k${i}`, 1);
    now += 2_000;
    // Claiming past 10,000 keys evicts the expired ones; the first key is free again either way.
    expect(await store.claim('fresh', 1)).toBe(true);
    expect(await store.claim('k0', 60)).toBe(true);
    expect(await store.claim('k0', 60)).toBe(false);
  });

  it('holds the same route + canary + kind + message for its window, then lets it through', async () => {
    let now = 0;
    const store = memoryMuteStore(() => now);
    const key = muteKey('oncall', fixtures[20] as FlaggerEvent);
    expect(await store.claim(key, 3600)).toBe(true);
    now += 3_599_000;
    expect(await store.claim(key, 3600)).toBe(false);
    now += 1_000;
    expect(await store.claim(key, 3600)).toBe(true);
  });
  it('tells different canaries, routes and messages apart', () => {
    const [a, b] = [fixtures[20] as FlaggerEvent, fixtures[19] as FlaggerEvent];
    expect(
      new Set([muteKey('r', a), muteKey('r', b), muteKey('s', a), muteKey('r', { ...a, name: 'other' })])
        .size,
    ).toBe(4);
  });
});

describe('routing a fleet: by cluster and by any metadata', async () => {
  const config = await parseRoutingConfig(
    `destinations:
  payments: { type: slack }
  prod: { type: teams }
  rest: { type: discord }
routes:
  - name: payments
    match: { metadata: { team: "payments*" } }
    to: [payments]
    continue: true
  - match: { cluster: "prod-*" }
    mute: 1h
    to: [prod]
  - to: [rest]
`,
    {},
    't',
  );
  const e = (metadata: Record<string, string>): FlaggerEvent => ({
    ...(fixtures[0] as FlaggerEvent),
    metadata: { ...(fixtures[0] as FlaggerEvent).metadata, ...metadata },
  });

  it('sends a route on metadata.team only that team’s canaries, and says why', () => {
    const d = routeEvent(e({ team: 'payments-eu', cluster: 'staging' }), config);
    expect(d.destinations).toEqual(['payments', 'rest']);
    expect(d.steps[0]?.reason).toBe('match metadata {"team":["payments*"]}');
    expect(routeEvent(e({ team: 'search' }), config).destinations).toEqual(['rest']);
    // A canary without the key never matches a metadata glob, even `*`.
    expect(routeEvent(e({}), config).destinations).toEqual(['rest']);
  });

  it('routes by cluster glob; an event outside a fleet has no cluster to match', () => {
    expect(routeEvent(e({ cluster: 'prod-eu' }), config).destinations).toEqual(['prod']);
    expect(routeEvent(e({ cluster: 'staging' }), config).destinations).toEqual(['rest']);
    expect(routeEvent(e({}), config).destinations).toEqual(['rest']);
  });

  it('mutes per cluster: the same message from two clusters is two notifications', () => {
    const eu = e({ cluster: 'prod-eu' });
    expect(muteKey('r', eu)).not.toBe(muteKey('r', e({ cluster: 'prod-us' })));
    expect(muteKey('r', eu)).toBe(muteKey('r', e({ cluster: 'prod-eu' })));
  });

  it('refuses a metadata match that is not a key → glob map, naming the line', async () => {
    await expect(
      parseRoutingConfig(
        'destinations:\n  a: { type: slack }\nroutes:\n  - match: { metadata: [team] }\n    to: [a]\n',
        {},
        't',
      ),
    ).rejects.toThrow(/routes\.0\.match\.metadata \(line 4\)/);
  });
});

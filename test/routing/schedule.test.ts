import { describe, expect, it } from 'vitest';
import { parseRoutingConfig } from '../../lib/routing/config';
import {
  clockAt,
  describeDigest,
  describeQuiet,
  instant,
  lastFire,
  nextFire,
  periodKey,
  previousFire,
  quietUntil,
  toDigest,
  toQuiet,
} from '../../lib/routing/schedule';

const DAY = 86_400_000;
const dayNo = (iso: string) => Math.floor(Date.parse(`${iso}T00:00:00Z`) / DAY);
const at = (iso: string) => Date.parse(iso);

describe('wall-clock times in a zone', () => {
  it('09:00 Berlin is 08:00 UTC in winter and 07:00 UTC in summer', () => {
    expect(new Date(instant(dayNo('2026-12-07'), 9 * 60, 'Europe/Berlin')).toISOString()).toBe(
      '2026-12-07T08:00:00.000Z',
    );
    expect(new Date(instant(dayNo('2026-07-07'), 9 * 60, 'Europe/Berlin')).toISOString()).toBe(
      '2026-07-07T07:00:00.000Z',
    );
  });

  it('a time skipped by the spring jump is the first instant after it; a doubled one its first showing', () => {
    // 2026-03-29 02:30 does not exist in Berlin (02:00 → 03:00).
    expect(new Date(instant(dayNo('2026-03-29'), 150, 'Europe/Berlin')).toISOString()).toBe(
      '2026-03-29T01:30:00.000Z',
    );
    // 2026-10-25 02:30 happens twice: 00:30Z (CEST) and 01:30Z (CET).
    expect(new Date(instant(dayNo('2026-10-25'), 150, 'Europe/Berlin')).toISOString()).toBe(
      '2026-10-25T00:30:00.000Z',
    );
  });
});

describe('digest fire times', () => {
  const daily = toDigest({ every: 'day', at: '09:00', tz: 'Europe/Berlin' });
  it('the latest 09:00 at or before now, and the one before it', () => {
    const f = lastFire(daily, at('2026-12-07T08:00:00Z'));
    expect(new Date(f).toISOString()).toBe('2026-12-07T08:00:00.000Z');
    expect(new Date(lastFire(daily, at('2026-12-07T07:59:59Z'))).toISOString()).toBe(
      '2026-12-06T08:00:00.000Z',
    );
    expect(new Date(previousFire(daily, f)).toISOString()).toBe('2026-12-06T08:00:00.000Z');
    expect(periodKey(daily, f)).toBe('2026-12-07');
  });

  it('weekly on its day (Monday unless `on` says), defaults 09:00 UTC', () => {
    const weekly = toDigest({ every: 'week' });
    // 2026-12-09 is a Wednesday: the last Monday 09:00 UTC is 2026-12-07.
    expect(new Date(lastFire(weekly, at('2026-12-09T12:00:00Z'))).toISOString()).toBe(
      '2026-12-07T09:00:00.000Z',
    );
    const friday = toDigest({ every: 'week', on: 'fri', at: '16:30' });
    expect(new Date(lastFire(friday, at('2026-12-09T12:00:00Z'))).toISOString()).toBe(
      '2026-12-04T16:30:00.000Z',
    );
    expect(new Date(previousFire(friday, at('2026-12-04T16:30:00Z'))).toISOString()).toBe(
      '2026-11-27T16:30:00.000Z',
    );
  });
});

describe('quiet hours', () => {
  const nights = toQuiet([{ from: '22:00', to: '07:00', tz: 'Europe/Berlin' }]);
  it('inside a window running past midnight, held until its end; outside, not held', () => {
    expect(new Date(quietUntil(nights, at('2026-12-07T22:30:00Z')) ?? 0).toISOString()).toBe(
      '2026-12-08T06:00:00.000Z',
    );
    expect(new Date(quietUntil(nights, at('2026-12-08T05:59:00Z')) ?? 0).toISOString()).toBe(
      '2026-12-08T06:00:00.000Z',
    );
    expect(quietUntil(nights, at('2026-12-08T06:00:00Z'))).toBeUndefined();
    expect(quietUntil(nights, at('2026-12-07T20:59:00Z'))).toBeUndefined();
    expect(quietUntil(nights, at('2026-12-07T21:00:00Z'))).toBe(at('2026-12-08T06:00:00Z'));
  });

  it('only on its days, and windows that meet are one stretch (Friday night into the weekend)', () => {
    const ws = toQuiet([
      { from: '22:00', to: '07:00' },
      { from: '00:00', to: '24:00', days: ['sat', 'sun'] },
    ]);
    // Friday 2026-12-11 23:00 UTC: the night runs into Saturday, Saturday into Sunday, Sunday
    // into Sunday night's window, which ends Monday 07:00.
    expect(new Date(quietUntil(ws, at('2026-12-11T23:00:00Z')) ?? 0).toISOString()).toBe(
      '2026-12-14T07:00:00.000Z',
    );
    const weekendOnly = toQuiet([{ from: '00:00', to: '24:00', days: ['sat', 'sun'] }]);
    expect(quietUntil(weekendOnly, at('2026-12-10T12:00:00Z'))).toBeUndefined();
    expect(quietUntil(weekendOnly, at('2026-12-12T12:00:00Z'))).toBe(at('2026-12-14T00:00:00Z'));
  });

  it('a list of windows covering every minute still ends', () => {
    const always = toQuiet([{ from: '00:00', to: '24:00' }]);
    const until = quietUntil(always, at('2026-12-07T12:00:00Z')) ?? 0;
    expect(until).toBeGreaterThan(at('2026-12-07T12:00:00Z'));
    expect(until - at('2026-12-07T12:00:00Z')).toBeLessThanOrEqual(16 * DAY);
  });

  it('says when in the zone', () => {
    expect(clockAt(at('2026-12-08T06:00:00Z'), 'Europe/Berlin')).toBe('07:00 Europe/Berlin');
    expect(clockAt(at('2026-12-08T06:00:00Z'), 'UTC')).toBe('06:00 UTC');
  });
});

describe('digest: and quiet: in a routing file', () => {
  const parse = (yaml: string) => parseRoutingConfig(yaml, {}, 'routing.yaml');
  const SLACK = 'type: slack, url: "https://hooks.slack.com/services/T/B/x"';

  it('reads them on destinations and routes, with their defaults, and knows whose messages may be held', async () => {
    const c = await parse(`destinations:
  ops: { ${SLACK}, digest: { every: day }, quiet: { from: "22:00", to: "07:00", tz: Europe/Berlin } }
  pay: { ${SLACK} }
routes:
  - name: payments
    match: { metadata: { team: payments } }
    digest: { every: week, on: fri, at: "16:30", tz: America/New_York }
    quiet: [{ from: "00:00", to: "24:00", days: [sat, sun] }]
    to: [pay]
  - to: [ops]
`);
    expect(c.schedules?.digests.map((d) => [d.label, d.to, d.digest, d.routes.length])).toEqual([
      ['destination ops', ['ops'], { every: 'day', at: 540, tz: 'UTC', on: 'mon' }, 1],
      ['route payments', ['pay'], { every: 'week', at: 990, tz: 'America/New_York', on: 'fri' }, 1],
    ]);
    expect(c.schedules?.quiet.destinations.ops).toEqual([
      { from: 1320, to: 420, tz: 'Europe/Berlin', days: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] },
    ]);
    expect(c.schedules?.quiet.routes.payments?.[0]?.days).toEqual(['sat', 'sun']);
    expect(c.schedules?.held.sort()).toEqual(['ops', 'pay']);
    // A destination's digest covers the canaries of the routes that send to it.
    expect(c.schedules?.digests[0]?.routes[0]?.to).toEqual(['ops']);
  });

  it('refuses a bad one naming the field and line, and a provider with nowhere to put a report', async () => {
    await expect(
      parse(`destinations:\n  ops: { ${SLACK}, digest: { every: month, tz: Mars/Olympus } }\n`),
    ).rejects.toThrow(
      'routing.yaml: destinations.ops.digest.every (line 2): must be day or week; destinations.ops.digest.tz (line 2): must be an IANA time zone such as Europe/Berlin or UTC',
    );
    await expect(
      parse(`destinations:\n  ops: { ${SLACK}, quiet: { from: "7am", to: "24:00" } }\n`),
    ).rejects.toThrow('destinations.ops.quiet.0.from (line 2): must be a time such as 09:00 (00:00–23:59)');
    await expect(
      parse(
        `destinations:\n  pd: { type: pagerduty, routingKey: "0123456789abcdef0123456789abcdef", quiet: { from: "22:00", to: "07:00" } }\n`,
      ),
    ).rejects.toThrow(
      'destinations.pd.quiet (line 2): type pagerduty has no message to put a quiet-hours summary in',
    );
    await expect(
      parse(
        `destinations:\n  pd: { type: pagerduty, routingKey: "0123456789abcdef0123456789abcdef" }\nroutes:\n  - { to: [pd], digest: { every: day } }\n`,
      ),
    ).rejects.toThrow(
      'routes.0.to.0 (line 4): "pd" (type pagerduty) has no message to put the route\'s digest in',
    );
  });

  it('a file without either has no schedules: the status function and workers never ask', async () => {
    expect((await parse(`destinations:\n  ops: { ${SLACK} }\n`)).schedules).toBeUndefined();
  });
});

describe('the edges of wall-clock windows', () => {
  it('New York’s spring jump: 02:30 does not exist, so it is 03:30 EDT, after the jump', () => {
    // 2026-03-08 02:00 EST → 03:00 EDT (07:00 UTC).
    expect(new Date(instant(dayNo('2026-03-08'), 150, 'America/New_York')).toISOString()).toBe(
      '2026-03-08T07:30:00.000Z',
    );
    expect(new Date(instant(dayNo('2026-03-08'), 60, 'America/New_York')).toISOString()).toBe(
      '2026-03-08T06:00:00.000Z',
    );
  });

  it('a window whose end is its start lasts a whole day', () => {
    // Mondays only (2026-12-07 is one): every day, they would join into one endless stretch.
    const day = toQuiet([{ from: '07:00', to: '07:00', days: ['mon'] }]);
    expect(quietUntil(day, at('2026-12-07T07:00:00Z'))).toBe(at('2026-12-08T07:00:00Z'));
    expect(quietUntil(day, at('2026-12-08T06:59:00Z'))).toBe(at('2026-12-08T07:00:00Z'));
  });

  it('the next digest, and how check-config says a schedule', () => {
    const daily = toDigest({ every: 'day', at: '09:00', tz: 'Europe/Berlin' });
    expect(new Date(nextFire(daily, at('2026-12-07T07:59:00Z'))).toISOString()).toBe(
      '2026-12-07T08:00:00.000Z',
    );
    expect(new Date(nextFire(daily, at('2026-12-07T08:00:00Z'))).toISOString()).toBe(
      '2026-12-08T08:00:00.000Z',
    );
    const weekly = toDigest({ every: 'week', on: 'fri', at: '16:05' });
    expect(new Date(nextFire(weekly, at('2026-12-07T12:00:00Z'))).toISOString()).toBe(
      '2026-12-11T16:05:00.000Z',
    );
    expect(describeDigest(daily)).toBe('daily at 09:00 Europe/Berlin');
    expect(describeDigest(weekly)).toBe('weekly on fri at 16:05 UTC');
    expect(
      describeQuiet(
        toQuiet([
          { from: '22:30', to: '07:05', tz: 'Europe/Berlin' },
          { from: '00:00', to: '24:00', days: ['sat', 'sun'] },
        ]),
      ),
    ).toBe('22:30–07:05 Europe/Berlin; 00:00–24:00 UTC (sat, sun)');
  });

  it('refuses times that are not HH:MM within the day, and empty day or window lists, saying so', async () => {
    const problem = async (quiet: string) =>
      parseRoutingConfig(
        `destinations:\n  ops: { type: slack, url: "https://hooks.slack.com/services/T/B/x", quiet: ${quiet} }\n`,
        {},
        'r.yaml',
      ).then(
        () => 'accepted',
        (e: Error) => e.message.replace(/^r\.yaml: /, ''),
      );
    expect(await problem('{ from: "24:00", to: "07:00" }')).toBe(
      'destinations.ops.quiet.0.from (line 2): must be a time such as 09:00 (00:00–23:59)',
    );
    expect(await problem('{ from: "22:00", to: "24:30" }')).toBe(
      'destinations.ops.quiet.0.to (line 2): must be a time such as 09:00 (00:00–24:00)',
    );
    for (const bad of ['9:00', '09:00:00', 'x09:00', '09:60'])
      expect(await problem(`{ from: "${bad}", to: "07:00" }`)).toMatch(/quiet\.0\.from .*must be a time/);
    expect(await problem('{ from: "22:00", to: "24:00" }')).toBe('accepted');
    expect(await problem('{ from: "22:00", to: "07:00", days: [] }')).toBe(
      'destinations.ops.quiet.0.days (line 2): must list at least one day',
    );
    expect(await problem('{ from: "22:00", to: "07:00", days: [funday] }')).toBe(
      'destinations.ops.quiet.0.days.0 (line 2): must be one of sun, mon, tue, wed, thu, fri, sat',
    );
    expect(await problem('[]')).toBe('destinations.ops.quiet (line 2): must give at least one window');
  });
});

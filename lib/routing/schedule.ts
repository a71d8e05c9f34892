import * as z from 'zod/mini';

/**
 * Digests and quiet hours (docs/routing.md): wall-clock times in an IANA time zone, so "09:00
 * Europe/Berlin" stays 09:00 across daylight saving. Pure: every function takes `now`.
 */

export const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Day = (typeof DAYS)[number];

const DAY_MS = 24 * 3600 * 1000;

const validZone = (tz: string) => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
};
const zone = z.string().check(z.refine(validZone, 'must be an IANA time zone such as Europe/Berlin or UTC'));
const clock = (max: '23:59' | '24:00') =>
  z
    .string()
    .check(
      z.regex(
        max === '24:00' ? /^(([01]\d|2[0-3]):[0-5]\d|24:00)$/ : /^([01]\d|2[0-3]):[0-5]\d$/,
        `must be a time such as 09:00 (00:00–${max})`,
      ),
    );
const day = z.enum(DAYS, { error: `must be one of ${DAYS.join(', ')}` });

export const digestSchema = z.strictObject({
  every: z.enum(['day', 'week'], { error: 'must be day or week' }),
  at: z.optional(clock('23:59')),
  tz: z.optional(zone),
  /** A weekly digest's day (default Monday). */
  on: z.optional(day),
});

const windowSchema = z.strictObject({
  from: clock('23:59'),
  to: clock('24:00'),
  tz: z.optional(zone),
  /** The days a window starts on (default every day). */
  days: z.optional(z.array(day).check(z.minLength(1, 'must list at least one day'))),
});
/** One window, or several (nights, and the whole weekend). */
export const quietSchema = z.pipe(
  z.transform((v: unknown) => (Array.isArray(v) ? v : [v])),
  z.array(windowSchema).check(z.minLength(1, 'must give at least one window')),
);

export interface Digest {
  every: 'day' | 'week';
  /** Minutes after midnight. */
  at: number;
  tz: string;
  on: Day;
}

export interface QuietWindow {
  from: number;
  to: number;
  tz: string;
  days: Day[];
}

const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

export const toDigest = (d: z.infer<typeof digestSchema>): Digest => ({
  every: d.every,
  at: minutes(d.at ?? '09:00'),
  tz: d.tz ?? 'UTC',
  on: d.on ?? 'mon',
});

export const toQuiet = (q: z.infer<typeof quietSchema>): QuietWindow[] =>
  q.map((w) => ({
    from: minutes(w.from),
    to: minutes(w.to),
    tz: w.tz ?? 'UTC',
    days: w.days ?? [...DAYS],
  }));

const formats = new Map<string, Intl.DateTimeFormat>();
/** A zone's wall clock at an instant: calendar date (as a UTC day number) and minute of day. */
function wall(ms: number, tz: string): { dayNo: number; minute: number } {
  let f = formats.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formats.set(tz, f);
  }
  const p = Object.fromEntries(f.formatToParts(ms).map((x) => [x.type, Number(x.value)]));
  const dayNo = Math.floor(Date.UTC(p.year ?? 1970, (p.month ?? 1) - 1, p.day ?? 1) / DAY_MS);
  return { dayNo, minute: (p.hour ?? 0) * 60 + (p.minute ?? 0) };
}

/**
 * The instant a zone's clock shows `minute` on calendar day `dayNo`. A time skipped by a
 * daylight-saving jump is the first instant after it; a time shown twice, its first showing.
 */
export function instant(dayNo: number, minute: number, tz: string): number {
  const target = dayNo * DAY_MS + minute * 60_000;
  // Every instant asked about is a whole minute: the target, and it less whole-minute offsets.
  const offset = (ms: number) => {
    const w = wall(ms, tz);
    return w.dayNo * DAY_MS + w.minute * 60_000 - ms;
  };
  const o1 = offset(target);
  const guess = target - o1;
  const o2 = offset(guess);
  if (o1 !== o2) {
    const second = target - o2;
    // Neither offset shows the time: it falls in a jump forward; the later guess is past it.
    if (offset(second) !== o2) return Math.max(guess, second);
    return second;
  }
  // Both offsets of an ambiguous hour show it: the earlier instant.
  const earlier = guess - 3600_000;
  const we = wall(earlier, tz);
  return we.dayNo === dayNo && we.minute === minute ? earlier : guess;
}

/** The digest's fire times, latest at or before `now`, and the one before it. */
export function lastFire(d: Digest, now: number): number {
  const today = wall(now, d.tz).dayNo;
  for (let k = 0; k <= 8; k++) {
    const dayNo = today - k;
    if (d.every === 'week' && (dayNo + 4) % 7 !== DAYS.indexOf(d.on)) continue;
    const at = instant(dayNo, d.at, d.tz);
    if (at <= now) return at;
  }
  throw new Error('unreachable: a digest fires at least weekly');
}

export const previousFire = (d: Digest, fire: number): number => lastFire(d, fire - 1);

/** The first fire after `now`. */
export function nextFire(d: Digest, now: number): number {
  for (let probe = now + 3600_000; ; probe += 24 * 3600_000) {
    const f = lastFire(d, probe);
    if (f > now) return f;
  }
}

/** A period's name, for its once-only record: the fire's calendar date in the digest's zone. */
export function periodKey(d: Digest, fire: number): string {
  const w = wall(fire, d.tz);
  return new Date(w.dayNo * DAY_MS).toISOString().slice(0, 10);
}

/** The quiet window holding `now`, as [start, end) instants, if any. */
function windowAt(w: QuietWindow, now: number): [number, number] | undefined {
  const today = wall(now, w.tz).dayNo;
  // A window that runs past midnight started yesterday.
  for (const dayNo of [today - 1, today]) {
    if (!w.days.includes(DAYS[(dayNo + 4) % 7] as Day)) continue;
    const start = instant(dayNo, w.from, w.tz);
    const end = instant(w.to > w.from ? dayNo : dayNo + 1, w.to, w.tz);
    if (start <= now && now < end) return [start, end];
  }
  return undefined;
}

/**
 * When quiet ends, if `now` is inside a window: windows that meet or overlap (a night, then the
 * weekend) are one quiet stretch, held until its end. Undefined outside every window.
 */
export function quietUntil(windows: readonly QuietWindow[], now: number): number | undefined {
  let end: number | undefined;
  // At most two weeks of windows joined end to end, so a window list covering every minute ends.
  for (let i = 0; i < 64; i++) {
    const at = end ?? now;
    // A window holding `at` ends after it: each round moves the end on.
    const hit = windows.map((w) => windowAt(w, at)).find(Boolean);
    if (!hit) return end;
    end = hit[1];
    if (end - now > 14 * DAY_MS) return end;
  }
  return end;
}

/** Minutes after midnight as `07:00`. */
const hhmm = (m: number) =>
  `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;

/** `07:00 Europe/Berlin`: how a page or summary says when, in the window's zone. */
export function clockAt(ms: number, tz: string): string {
  const w = wall(ms, tz);
  return `${hhmm(w.minute)} ${tz}`;
}

/** How check-config says a schedule: `daily at 09:00 Europe/Berlin`. */
export function describeDigest(d: Digest): string {
  const at = hhmm(d.at);
  return d.every === 'day' ? `daily at ${at} ${d.tz}` : `weekly on ${d.on} at ${at} ${d.tz}`;
}

export function describeQuiet(ws: readonly QuietWindow[]): string {
  return ws
    .map(
      (w) => `${hhmm(w.from)}–${hhmm(w.to)} ${w.tz}${w.days.length === 7 ? '' : ` (${w.days.join(', ')})`}`,
    )
    .join('; ');
}

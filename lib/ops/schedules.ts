import { logger } from '../log';
import type { Report, Sender } from '../providers/provider';
import { digestReport, quietReport } from '../providers/report';
import { type DigestRecord, type DigestRecords, digestStats } from '../rollouts/digest';
import type { FleetRow, FleetStore } from '../rollouts/fleet';
import type { HeldStore } from '../rollouts/held';
import { retrying } from '../rollouts/story-log';
import type { DigestTarget, Schedules } from '../routing/config';
import { type CanaryMatch, canaryScope, inCanaryScope } from '../routing/match';
import { lastFire, periodKey, previousFire } from '../routing/schedule';

export interface ScheduleDeps {
  schedules: Schedules;
  /** Each scheduled destination's sender, by destination name. */
  senders: Record<string, Sender>;
  fleet: FleetStore;
  held: HeldStore;
  records: DigestRecords;
  /** A signed link to the fleet page (only the canaries of `scope`), when the stack serves pages. */
  fleetLink?: (scope?: CanaryMatch[]) => string;
  timeoutMs?: number;
  now?: () => number;
}

export interface Sent {
  what: string;
  destination: string;
  ok: boolean;
  title?: string;
  error?: string;
}

// A digest due while the status function or the table was down goes out late, up to this; past
// it, it is skipped and the next digest covers its period too (it starts at the last one sent).
const CATCH_UP_MS = 3 * 3600 * 1000;
// A send that has not said how it went after this long (a crash mid-send) is tried again.
const LEASE_MS = 5 * 60 * 1000;

/**
 * Where a digest's period starts: the last digest sent; while one was not (it failed, or a run
 * died sending it), where that one's began, so its rollouts are not skipped; the period before
 * for the very first.
 */
const sinceOf = (r: DigestRecord | undefined, first: number): number =>
  !r ? first : r.state === 'sent' ? r.last : r.since;

const recordKey = (t: DigestTarget, destination: string) =>
  `digest#${t.label.replace(/\s+/g, '-')}#${destination}`;

/** A report through its destination's sender (callers have checked it takes reports). */
const sendReport = (deps: ScheduleDeps, sender: Sender, report: Report) =>
  (sender.report as NonNullable<Sender['report']>)(report, { timeoutMs: deps.timeoutMs ?? 10_000 });

/**
 * The scheduled part of the status run: each digest due and not yet sent (per destination, once
 * per period: a claim in the state table decides, so a retry or a second invocation sends it
 * once), and each destination's held messages whose quiet hours ended, as one summary.
 */
export async function runSchedules(deps: ScheduleDeps): Promise<Sent[]> {
  const now = (deps.now ?? Date.now)();
  const out: Sent[] = [];
  let rows: Promise<FleetRow[]> | undefined;
  const fleet = () => {
    rows ??= deps.fleet.list();
    return rows;
  };
  for (const t of deps.schedules.digests) {
    const fire = lastFire(t.digest, now);
    if (now - fire > CATCH_UP_MS) continue;
    for (const destination of t.to) {
      const sender = deps.senders[destination];
      if (!sender?.report) continue;
      const key = recordKey(t, destination);
      const got = await deps.records.get(key);
      const r = got?.value;
      if (r && r.last >= fire && (r.state === 'sent' || (r.state === 'sending' && now < r.at + LEASE_MS)))
        continue;
      const since = sinceOf(r, previousFire(t.digest, fire));
      const claim: DigestRecord = { last: fire, since, state: 'sending', at: now };
      let version: number;
      try {
        version = await deps.records.put(key, claim, got?.version ?? 0);
      } catch {
        continue; // another run took it
      }
      const sent = await sendDigest(
        deps,
        t,
        destination,
        sender,
        await fleet(),
        since,
        fire,
        `${key}#${periodKey(t.digest, fire)}`,
      );
      out.push(sent);
      await deps.records
        .put(key, { ...claim, state: sent.ok ? 'sent' : 'failed', at: (deps.now ?? Date.now)() }, version)
        .catch((err) => logger.warn('digest record not saved', { key, error: (err as Error).message }));
    }
  }
  out.push(...(await releaseHeld(deps, now)));
  return out;
}

/** `flagger-notify digest --now`: every digest, from its last one sent until now, without touching its schedule. */
export async function digestsNow(deps: ScheduleDeps): Promise<Sent[]> {
  const now = (deps.now ?? Date.now)();
  const rows = await deps.fleet.list();
  const out: Sent[] = [];
  for (const t of deps.schedules.digests) {
    for (const destination of t.to) {
      const sender = deps.senders[destination];
      if (!sender?.report) continue;
      const r = (await deps.records.get(recordKey(t, destination)))?.value;
      const since = sinceOf(r, previousFire(t.digest, lastFire(t.digest, now)));
      out.push(
        await sendDigest(
          deps,
          t,
          destination,
          sender,
          rows,
          since,
          now,
          `${recordKey(t, destination)}#now#${now}`,
          true,
        ),
      );
    }
  }
  return out;
}

async function sendDigest(
  deps: ScheduleDeps,
  t: DigestTarget,
  destination: string,
  sender: Sender,
  rows: readonly FleetRow[],
  since: number,
  until: number,
  key: string,
  now = false,
): Promise<Sent> {
  // The canaries its routes select; a destination no route sends to covers none.
  const scope = canaryScope(t.routes);
  const covered = t.routes.length ? rows.filter((r) => inCanaryScope(scope, r.entry)) : [];
  const stats = digestStats(covered, since, until);
  const link = deps.fleetLink?.(scope);
  const report = digestReport(stats, { every: t.digest.every, key, ...(link ? { link } : {}), now });
  try {
    await sendReport(deps, sender, report);
    logger.info('digest sent', { digest: t.label, destination, rollouts: stats.rollouts });
    return { what: `digest (${t.label})`, destination, ok: true, title: report.title };
  } catch (err) {
    logger.warn('digest not sent; tried again next minute', {
      digest: t.label,
      destination,
      error: (err as Error).message,
    });
    return { what: `digest (${t.label})`, destination, ok: false, error: (err as Error).message };
  }
}

/** Held messages whose quiet stretch is over, as one summary per destination. */
async function releaseHeld(deps: ScheduleDeps, now: number): Promise<Sent[]> {
  const out: Sent[] = [];
  for (const [destination, sender] of Object.entries(deps.senders)) {
    if (!sender.report || !deps.schedules.held.includes(destination)) continue;
    const got = await deps.held.get(destination);
    const h = got?.value;
    if (!got || !h) continue;
    const due = h.items.length > 0 && now >= h.until;
    const stale = h.sending !== undefined && now >= h.sending.at + LEASE_MS;
    if (!due && !stale) continue;
    const items = [...(h.sending?.items ?? []), ...(due ? h.items : [])];
    const overflow = (h.sending?.overflow ?? 0) + (due ? h.overflow : 0);
    const taken = {
      ...(due ? { items: [], overflow: 0 } : { items: h.items, overflow: h.overflow }),
      until: h.until,
      when: h.when,
      sending: { items, overflow, at: now },
    };
    try {
      await deps.held.put(destination, taken, got.version);
    } catch {
      continue; // another run took them
    }
    const link = deps.fleetLink?.(canaryScope(deps.schedules.routesTo?.[destination] ?? []) ?? undefined);
    const report = quietReport(items, {
      from: Math.min(...items.map((i) => i.at)),
      until: h.until,
      when: h.when,
      overflow,
      key: `quiet#${destination}#${h.until}`,
      ...(link ? { link } : {}),
    });
    let ok = true;
    let error: string | undefined;
    try {
      await sendReport(deps, sender, report);
      logger.info('quiet-hours summary sent', { destination, held: items.length });
    } catch (err) {
      ok = false;
      error = (err as Error).message;
      logger.warn('quiet-hours summary not sent; tried again next minute', { destination, error });
    }
    // Sent: the taken messages are done. Not sent: they go back, due at once.
    await retrying(async () => {
      const cur = await deps.held.get(destination);
      if (!cur) return;
      const { sending: _, ...rest } = cur.value;
      const back = ok
        ? rest
        : {
            ...rest,
            items: [...items, ...rest.items],
            overflow: rest.overflow + overflow,
            until: Math.min(now, rest.until || now),
            when: rest.when || h.when,
          };
      await deps.held.put(destination, back, cur.version);
    }).catch((err) =>
      logger.warn('held messages not updated', { destination, error: (err as Error).message }),
    );
    out.push({
      what: 'quiet-hours summary',
      destination,
      ok,
      ...(ok ? { title: report.title } : { error: error as string }),
    });
  }
  return out;
}

/**
 * The deployed shape, simulated (time is simulated, nothing waits): Lambda's SQS event source over
 * one FIFO queue, up to `maximumConcurrency` invocations of up to 10 records; SQS hands a message
 * group to one consumer at a time, in order; an invocation runs its groups at once and each group's
 * records one after another. `design: 'batch-end'` deletes records only when the whole batch ends
 * (before this change); `'busy'` is lib/delivery/busy.ts: a group done while others run is deleted
 * at once, and an invocation still running after `patienceMs` takes more records itself (at most 10
 * at work) until its own batch is done.
 */
export interface SimMessage {
  group: string;
  at: number;
  serviceMs: number;
  healthy: boolean;
}

interface Invocation {
  start: number;
  open: number; // original groups not done
  work: number; // taken records at work
  taking: boolean;
}

export function simulate(
  messages: SimMessage[],
  o: { maximumConcurrency: number; design: 'batch-end' | 'busy'; patienceMs?: number },
) {
  const patience = o.patienceMs ?? 250;
  const queue: SimMessage[] = [];
  const held = new Set<string>(); // groups in flight
  const latencies: number[] = [];
  let invocations = 0;
  let receives = 0;
  let now = 0;
  const running = new Set<Invocation>();
  const timeline: { t: number; run: () => void }[] = [];
  const at = (t: number, run: () => void) => {
    const i = timeline.findIndex((e) => e.t > t);
    timeline.splice(i < 0 ? timeline.length : i, 0, { t, run });
  };
  /** Up to `max` records SQS would hand out now: each free group's first records, in order. */
  const receive = (max: number) => {
    const out: SimMessage[] = [];
    const blocked = new Set(held);
    for (const m of queue) {
      if (out.length >= max) break;
      if (blocked.has(m.group)) continue;
      out.push(m);
    }
    for (const m of out) {
      queue.splice(queue.indexOf(m), 1);
      held.add(m.group);
    }
    if (out.length) receives++;
    return out;
  };
  /** Runs records as groups from now; `done(group)` when each group's last record ends. */
  const runGroups = (records: SimMessage[], done: (group: string, end: number) => void) => {
    const groups = new Map<string, SimMessage[]>();
    for (const m of records) groups.set(m.group, [...(groups.get(m.group) ?? []), m]);
    for (const [g, ms] of groups) {
      let t = now;
      for (const m of ms) {
        t += m.serviceMs;
        if (m.healthy) latencies.push(t - m.at);
      }
      const end = t;
      at(end, () => done(g, end));
    }
    return groups.size;
  };
  const finish = (inv: Invocation, groups: string[]) => {
    if (inv.open > 0 || inv.work > 0) return;
    running.delete(inv);
    for (const g of groups) held.delete(g);
    dispatch();
  };
  const dispatch = () => {
    for (const inv of running) {
      if (!inv.taking || inv.open === 0) continue;
      const took = receive(10 - inv.work);
      if (!took.length) continue;
      inv.work += took.length;
      runGroups(took, (g) => {
        inv.work -= took.filter((m) => m.group === g).length;
        held.delete(g);
        dispatch();
        finish(inv, []);
      });
    }
    while (running.size < o.maximumConcurrency) {
      const batch = receive(10);
      if (!batch.length) return;
      invocations++;
      const inv: Invocation = { start: now, open: 0, work: 0, taking: false };
      running.add(inv);
      const mine: string[] = [];
      inv.open = runGroups(batch, (g) => {
        inv.open--;
        if (o.design === 'busy' && inv.open > 0) {
          held.delete(g);
          dispatch();
        } else mine.push(g);
        finish(inv, mine);
      });
      if (o.design === 'busy')
        at(now + patience, () => {
          if (!running.has(inv)) return;
          inv.taking = true;
          dispatch();
        });
    }
  };
  for (const m of messages)
    at(m.at, () => {
      queue.push(m);
      dispatch();
    });
  while (timeline.length) {
    const e = timeline.shift() as { t: number; run: () => void };
    now = e.t;
    e.run();
  }
  return { latencies, invocations, receives };
}

import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import { groupOf, processFifoBatch } from './batch';

// The SQS client's commands load on first use, off the cold path (as in worker.ts).
const queueOps = () => import('../aws/queue');

export interface BusyOptions {
  queue: { url: string; arn: string; region: string };
  /** The batch the event source handed over. */
  records: readonly SQSRecord[];
  sqs: () => Promise<SQSClient>;
  /** The batch's own record handler (delivery, dead letter, or a throw to retry). */
  handle: (record: SQSRecord, moreInGroup: boolean) => Promise<void>;
  /** Retry delays the handler set, by message group. */
  delays: Map<string, number>;
  remainingMs: () => number;
  /** The longest one record can take (pacing and every call's deadline), as the timeout assumes. */
  perRecordMs: number;
  /** Forgets rollout records remembered in this batch: an acknowledged group may move on elsewhere. */
  forget: () => void;
  warn: (message: string, err: unknown) => void;
  /** How long a batch runs before it counts as held by a slow call and takes more records. */
  patienceMs?: number;
}

/** At most a batch's worth of taken records at work at once. */
const MAX_TAKEN = 10;

/**
 * An invocation held by a slow group (a destination answering in seconds) keeps the others moving:
 * a group done while others of its batch still run is deleted at once, so SQS FIFO can hand its
 * next event on; and once the batch has run for `patienceMs`, the invocation itself takes more
 * records from the queue while it waits (at most 10 at work at once), so the healthy destinations'
 * next events do not wait for a free invocation: Lambda's event source gives a new batch only to
 * an invocation that has ended, and with every allowed invocation held by a slow call none would
 * be free. Records taken this way are this invocation's to delete, or to delay for their retry;
 * the event source never sees them. A batch that ends within `patienceMs` makes no request of
 * its own.
 */
export function busyInvocation(o: BusyOptions) {
  let ended = false;
  let taking: Promise<void> | undefined;
  const taken: Promise<void>[] = [];
  let atWork = 0;
  // The batch's own records not yet handled: they may still need their whole time too.
  let ownLeft = o.records.length;
  let wake: (() => void) | undefined;
  const patience = setTimeout(() => {
    taking ??= take();
  }, o.patienceMs ?? 250);

  const acknowledge = async (records: SQSRecord[]) => {
    o.forget();
    try {
      const { acknowledge: del } = await queueOps();
      await del(
        await o.sqs(),
        o.queue.url,
        records.map((r) => r.receiptHandle),
      );
    } catch (err) {
      // Not fatal: the event source deletes its own records at the batch's end; a taken one comes
      // back after the visibility timeout and is found already delivered.
      o.warn('could not acknowledge records early', err);
    }
  };

  /**
   * The failed records (a failed one and the skipped later records of its canary) come back
   * together after their group's delay. Not fatal when it cannot be set: they still come back
   * after the queue's visibility timeout.
   */
  async function delayFailed(records: readonly SQSRecord[], result: SQSBatchResponse) {
    const failed = new Set(result.batchItemFailures.map((f) => f.itemIdentifier));
    const entries = records
      .filter((r) => failed.has(r.messageId) && o.delays.has(groupOf(r)))
      .map((r) => ({ receiptHandle: r.receiptHandle, seconds: o.delays.get(groupOf(r)) as number }));
    if (!entries.length) return;
    try {
      const { delayRedelivery } = await queueOps();
      await delayRedelivery(await o.sqs(), o.queue.url, entries);
    } catch (err) {
      o.warn('could not set retry delay', err);
    }
  }

  async function runTaken(records: SQSRecord[]) {
    await delayFailed(records, await processFifoBatch(records, o.handle, (group) => acknowledge(group)));
  }

  async function take() {
    const { receiveRecords } = await queueOps();
    while (!ended) {
      if (atWork >= MAX_TAKEN) {
        await new Promise<void>((r) => {
          wake = r;
        });
        continue;
      }
      // Only what surely ends before the function's timeout, with a margin, even if every record
      // at work (the batch's own included) took its longest, one after another.
      const fits = Math.floor((o.remainingMs() - 5000) / o.perRecordMs) - atWork - ownLeft;
      if (fits < 1) return;
      let records: SQSRecord[];
      try {
        records = await receiveRecords(await o.sqs(), o.queue, Math.min(MAX_TAKEN - atWork, fits), 1);
      } catch (err) {
        o.warn('could not take more records while busy', err);
        return;
      }
      if (!records.length) continue;
      atWork += records.length;
      taken.push(
        runTaken(records).finally(() => {
          atWork -= records.length;
          wake?.();
        }),
      );
    }
  }

  return {
    /** The batch's own records' handler, counted so taking never crowds them out of their time. */
    handle: async (record: SQSRecord, moreInGroup: boolean) => {
      try {
        await o.handle(record, moreInGroup);
      } finally {
        ownLeft--;
      }
    },
    /** For processFifoBatch: a group of the batch is done while `othersRunning` groups are not. */
    async groupDone(group: SQSRecord[], othersRunning: number) {
      if (!othersRunning) return;
      await acknowledge(group);
      taking ??= take();
    },
    delayFailed,
    /** The batch's own groups are done: stop taking, and finish what was taken. */
    async end() {
      ended = true;
      clearTimeout(patience);
      wake?.();
      await taking;
      await Promise.all(taken);
    },
  };
}

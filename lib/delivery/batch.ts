import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';

export const groupOf = (r: SQSRecord): string => r.attributes.MessageGroupId ?? r.messageId;

/**
 * A FIFO batch, group by group: records of one message group (one canary to one destination) run
 * in order, one after another, and once one fails the rest of its group is reported failed with it
 * so order survives the retry; different groups run at the same time, so a destination that is
 * slow or hangs costs the others nothing but the batch it shares with them. (Powertools'
 * SqsFifoPartialProcessorAsync keeps the same per-group rule but runs every record in turn.)
 */
export async function processFifoBatch(
  records: readonly SQSRecord[],
  handle: (record: SQSRecord, moreInGroup: boolean) => Promise<void>,
  /**
   * A group all of whose records were handled, while `othersRunning` groups of the batch are not
   * done yet: the worker lets SQS move the group on now (acknowledges it) instead of at the end.
   */
  onGroupDone?: (group: SQSRecord[], othersRunning: number) => Promise<void>,
): Promise<SQSBatchResponse> {
  const groups = new Map<string, SQSRecord[]>();
  for (const r of records) {
    const g = groups.get(groupOf(r));
    if (g) g.push(r);
    else groups.set(groupOf(r), [r]);
  }
  const failed = new Set<string>();
  let running = groups.size;
  await Promise.all(
    [...groups.values()].map(async (group) => {
      for (const [i, r] of group.entries()) {
        try {
          await handle(r, i < group.length - 1);
        } catch {
          running--;
          for (const rest of group.slice(i)) failed.add(rest.messageId);
          return;
        }
      }
      running--;
      await onGroupDone?.(group, running);
    }),
  );
  return {
    batchItemFailures: records
      .filter((r) => failed.has(r.messageId))
      .map((r) => ({ itemIdentifier: r.messageId })),
  };
}

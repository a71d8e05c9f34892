import { RetryableDeliveryError } from '../errors';
import type { FlaggerEvent } from '../event/event';
import { logger } from '../log';
import { journaled } from '../rollouts/journal';
import { type RolloutRecord, type RolloutStore, rolloutKey } from '../rollouts/state';
import type { Note, Rollout, Step } from '../rollouts/tracker';
import type { SendContext } from './provider';

/** The live message cannot be updated or replied to any more: the rollout goes on in a new one. */
export class LiveMessageGoneError extends Error {
  override name = 'LiveMessageGoneError';
  constructor(readonly code: string) {
    super(`the rollout message is gone (${code})`);
  }
}

export type LiveMessage = NonNullable<RolloutRecord['message']>;

/** What a platform does for a live message; each call may throw LiveMessageGoneError. */
export interface LivePlatform {
  /** Posts the rollout message tagged with `rolloutId`; returns where it is. */
  post(record: RolloutRecord, rolloutId: string): Promise<LiveMessage>;
  update(record: RolloutRecord, message: LiveMessage): Promise<void>;
  /** A line of its own (a thread reply, or a message where the platform has no threads). */
  reply(message: LiveMessage, reply: { text: string; broadcast: boolean }): Promise<void>;
  /** Finds a post whose answer was lost, by its rollout id, where the platform can look. */
  find?(rolloutId: string): Promise<LiveMessage | undefined>;
  /** The text of a note, as it will be replied; undefined where the platform says nothing of it. */
  note(note: Note, rollout: Rollout): string | undefined;
}

/** The rollout's id: tags its message so a post whose answer was lost can be found again. */
export const rolloutId = (destination: string, r: RolloutRecord) =>
  `${destination}/${r.rollout.canary}/${r.rollout.startedAt}`;

/**
 * One live message per rollout, durably: the event is applied to the stored rollout once (its
 * identity guards redeliveries and resends), then what it asks is done — post if there is no
 * message, one redraw once the batch has no more of this canary, replies in order. A step that
 * would show twice if repeated (a post, a reply) is saved as soon as it is done, so a crash
 * repeats at most the step it interrupted; the rest (the event's application, a redraw, a found
 * message) is saved with it or at the end: one write for most events. A post whose answer was
 * lost is looked for (where the platform can look) before posting again: on any redelivered
 * record, and wherever a failed post left its mark.
 */
export async function sendLive(
  store: RolloutStore,
  destination: string,
  platform: LivePlatform,
  event: FlaggerEvent,
  ctx: SendContext,
): Promise<{ calls: number }> {
  return journaled(store, rolloutKey(destination, event), ctx.eventId, event, plan, async (journal) => {
    let calls = 0;
    // The record as it stands (journal.record) moves on with each save and stage.
    const { save, stage } = journal;
    for (let round = 0; round < 3; round++) {
      try {
        if (!journal.record.message) {
          const id = rolloutId(destination, journal.record);
          // A post may have gone out unanswered: this record failed or its worker died before.
          const look = (journal.record.uncertainPost === id || ctx.redelivered) && platform.find;
          if (look) await ctx.pace?.();
          const found = look ? await platform.find?.(id) : undefined;
          if (found) {
            // Looking again would find it again: saved with the next step, or at the end.
            stage({ ...journal.record, message: found, uncertainPost: undefined });
          } else {
            // Marked uncertain in the record the failure path saves (a redrive, received anew,
            // still looks); a worker that dies mid-post leaves a redelivered record, which looks too.
            stage({ ...journal.record, uncertainPost: id });
            calls++;
            await ctx.pace?.();
            const message = await platform.post(journal.record, id);
            await save({
              ...journal.record,
              message,
              uncertainPost: undefined,
              pending: { ...journal.record.pending, update: false },
            });
          }
        }
        const message = journal.record.message as LiveMessage;
        if (journal.record.pending?.update && !ctx.moreInGroup) {
          calls++;
          await ctx.pace?.();
          await platform.update(journal.record, message);
          // A redraw repeated after a crash draws the same: saved with the next step, or at the end.
          stage({ ...journal.record, pending: { ...journal.record.pending, update: false } });
        }
        // A reply repeated would show twice: each is saved as soon as it is sent.
        while (journal.record.pending?.replies?.length) {
          const [reply, ...rest] = journal.record.pending.replies;
          calls++;
          await ctx.pace?.();
          await platform.reply(message, reply as { text: string; broadcast: boolean });
          await save({ ...journal.record, pending: { ...journal.record.pending, replies: rest } });
        }
        return { calls };
      } catch (err) {
        if (!(err instanceof LiveMessageGoneError)) throw err;
        // Deleted, frozen or too old to edit: the rollout goes on in a new one.
        logger.warn('rollout message gone, posting a new one', { destination, code: err.code });
        await save({ ...journal.record, message: undefined, uncertainPost: undefined });
      }
    }
    throw new RetryableDeliveryError('the rollout message kept disappearing; will try again');
  });

  function plan(prev: RolloutRecord | undefined, step: Step): Omit<RolloutRecord, 'applied'> {
    // A new rollout is a new message; the old one keeps what it said.
    const keep = step.started ? undefined : prev;
    return {
      rollout: step.rollout,
      ...(keep?.message ? { message: keep.message } : {}),
      ...(keep?.uncertainPost ? { uncertainPost: keep.uncertainPost } : {}),
      pending: {
        replies: [
          ...(keep?.pending?.replies ?? []),
          // Notes the platform says nothing of are not kept: no reply, no write to mark it done.
          ...step.notes.flatMap((n) => {
            const text = platform.note(n, step.rollout);
            return text === undefined ? [] : [{ text, broadcast: n.broadcast }];
          }),
        ],
        update: true,
      },
    };
  }
}

// The Teams bot through npm start: one activity POSTed per rollout and PUT as it moves (with the
// token endpoint's bearer token: the stand-in refuses anything else), a failure replied to, and
// Approve pressed on the card as Teams sends it (a signed invoke) opening the gate; an unsigned or
// wrongly signed invoke changes nothing.
import { generateKeyPairSync } from 'node:crypto';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { INBOX_TEAMS_APP_ID } from '../../lib/local/stand-ins';
import { fixtureLines } from '../helpers/fixtures';
import { pipeline, postAll, until } from '../helpers/pipeline';

const TOKEN = 'e2e-teams-token-0123456789abcdef';

interface Item {
  provider: string;
  kind: 'message' | 'update' | 'reply';
  id: string;
  parent?: string;
  payload: {
    text?: string;
    attachments?: { content: { body: unknown[]; actions?: { verb?: string; data?: unknown }[] } }[];
  };
}

describe('local pipeline end to end: the Teams bot', () => {
  it('posts one card per rollout and updates it in place; Approve on the card opens the gate; unsigned presses are refused', async () => {
    const p = await pipeline({ INGEST_TOKEN: TOKEN });
    const base = p.url.replace(/\/events$/, '');
    const items = async () =>
      ((await (await fetch(`${base}/inbox/messages`)).json()) as Item[]).filter(
        (i) => i.provider === 'teams-bot',
      );
    const cards = async (canary: string) =>
      (await items()).filter((i) => JSON.stringify(i.payload).includes(canary));
    const lines = (name: string) => fixtureLines.filter((l) => l.includes(`"${name}"`));

    // A failed and a promoted rollout.
    await postAll(`${p.url}?token=${TOKEN}`, [...lines('checkout'), ...lines('podinfo')]);
    const settled = async (canary: string, status: string) =>
      (await cards(canary)).some((i) => i.kind === 'update' && JSON.stringify(i.payload).includes(status));
    expect(
      await until(
        async () => (await settled('checkout.shop', 'Failed')) && (await settled('podinfo.test', 'Promoted')),
        60_000,
        200,
      ),
    ).toBe(true);
    for (const canary of ['checkout.shop', 'podinfo.test']) {
      const mine = await cards(canary);
      const posted = mine.filter((i) => i.kind === 'message');
      expect({ canary, posts: posted.length }).toEqual({ canary, posts: 1 });
      // Every update redraws that one activity.
      expect(mine.filter((i) => i.kind === 'update').every((i) => i.id === posted[0]?.id)).toBe(true);
    }
    // The failure, also as a reply to its card.
    const checkoutCard = (await cards('checkout.shop')).find((i) => i.kind === 'message');
    expect(
      await until(async () =>
        (await items()).some((i) => i.kind === 'reply' && i.parent === checkoutCard?.id),
      ),
    ).toBe(true);

    // A canary waiting for approval: its card offers Approve.
    await postAll(`${p.url}?token=${TOKEN}`, lines('frontend').slice(0, 3));
    const waiting = async () =>
      (await cards('frontend.web'))
        .filter((i) => i.kind !== 'reply')
        .flatMap((i) => (i.payload.attachments?.[0]?.content.actions ?? []).map((a) => ({ ...a, id: i.id })))
        .find((a) => a.verb === 'gate-open');
    expect(await until(async () => Boolean(await waiting()))).toBe(true);
    const approve = (await waiting()) as { verb: string; data: unknown; id: string };
    // As Flagger asks: with the revision that waits.
    const check = async (checksum = '77aa88bb99') =>
      (
        await fetch(`${base}/gate/check?token=${TOKEN}`, {
          method: 'POST',
          body: JSON.stringify({ name: 'frontend', namespace: 'web', checksum }),
        })
      ).status;
    expect(await check()).toBe(403);

    // Unsigned, and signed by a key that is not the issuer's: 401, nothing changed.
    const invoke = {
      type: 'invoke',
      name: 'adaptiveCard/action',
      id: 'forged-1',
      serviceUrl: `${base}/inbox/teams-bot`,
      from: { id: '29:eve', aadObjectId: '00000000-0000-4000-8000-0000000000e5', name: 'eve' },
      conversation: { id: '19:inbox@thread.tacv2' },
      value: { action: { type: 'Action.Execute', verb: 'gate-open', data: approve.data } },
    };
    const forged = await new SignJWT({ serviceurl: invoke.serviceUrl })
      .setProtectedHeader({ alg: 'RS256' })
      .setIssuer('https://api.botframework.com')
      .setAudience(INBOX_TEAMS_APP_ID)
      .setExpirationTime('5m')
      .sign(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey);
    for (const authorization of [undefined, `Bearer ${forged}`]) {
      const res = await fetch(`${base}/teams/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
        body: JSON.stringify(invoke),
      });
      expect(res.status).toBe(401);
    }
    expect(await check()).toBe(403);

    // Approve pressed in the Teams look-alike, as Teams sends it: the gate opens, the card says who.
    const pressed = await fetch(`${base}/inbox/teams-click`, {
      method: 'POST',
      body: JSON.stringify({ verb: approve.verb, data: approve.data, id: approve.id }),
    });
    const answer = (await pressed.json()) as {
      type?: string;
      value?: { body?: unknown[]; actions?: unknown[] };
    };
    expect(answer.type).toBe('application/vnd.microsoft.card.adaptive');
    expect(JSON.stringify(answer.value?.body)).toContain('✅ Approved by you');
    expect(JSON.stringify(answer.value?.actions ?? [])).not.toContain('gate-open');
    expect(await check()).toBe(200);

    // The next revision of the same canary, minutes later: closed again.
    const next = lines('frontend')
      .slice(0, 3)
      .map((l) => {
        const e = JSON.parse(l);
        e.metadata.timestamp = String(Number(e.metadata.timestamp) + 600_000);
        e.checksum = 'next-revision-0001';
        return JSON.stringify(e);
      });
    await postAll(`${p.url}?token=${TOKEN}`, next);
    expect(
      await until(
        async () => (await cards('frontend.web')).filter((i) => i.kind === 'message').length === 2,
        30_000,
        200,
      ),
    ).toBe(true);
    expect(await check('next-revision-0001')).toBe(403);
    expect(p.output()).not.toContain('inbox-teams-app-password');
  }, 120_000);
});

import { createHmac, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PROVIDERS, type ProviderId } from '../providers/catalog';
import { runDemo } from './demo';
import type { Inbox } from './inbox';
import { inboxHtml } from './inbox-page';
import { INBOX_TEAMS_APP_ID, INBOX_TEAMS_CONVERSATION, STAND_INS } from './stand-ins';

/** A provider is configured when its variable is set, or a routing file names destinations. */
export const anyProviderConfigured = (env = process.env) =>
  Boolean(env.CONFIG || env.CONFIG_FILE) || PROVIDERS.some((p) => env[p.on]);

/**
 * Zero configuration: every provider delivers to the inbox's own stand-in, so the first
 * `npm start` shows real formatted messages. Loopback stand-ins need no pacing.
 */
export function useStandIns(base: string, env = process.env): void {
  for (const p of PROVIDERS) Object.assign(env, STAND_INS[p.id].env(base));
  env.MIN_INTERVAL_MS ??= '0';
}

/** The local Slack stand-in's user: clicks in the inbox are this user's. */
export const INBOX_SLACK_USER = { id: 'U0INBOX0001', username: 'you' };

/** A payload signed as Slack signs it, for `/slack/interactions` (docs/gates.md). */
export function signedSlack(
  payload: unknown,
  secret: string,
): { body: string; headers: Record<string, string> } {
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  const ts = String(Math.floor(Date.now() / 1000));
  const signature = `v0=${createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex')}`;
  return {
    body,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': ts,
      'x-slack-signature': signature,
    },
  };
}

/**
 * A click on a Slack app button as Slack sends it: a signed `block_actions` payload for
 * `/slack/interactions`, by `user`, on the message `where` (from the stand-in).
 */
export function signedSlackClick(
  click: { action_id: string; value: string; trigger_id?: string },
  secret: string,
  where?: { channel: string; message: unknown },
  user = INBOX_SLACK_USER,
): { body: string; headers: Record<string, string> } {
  return signedSlack(
    {
      type: 'block_actions',
      user,
      ...(click.trigger_id ? { trigger_id: click.trigger_id } : {}),
      actions: [{ action_id: click.action_id, value: click.value }],
      ...(where ? { channel: { id: where.channel }, message: where.message } : {}),
    },
    secret,
  );
}

/**
 * Approve, Roll back, or Reject (whose dialog the page stands in for with a prompt: its reason is
 * sent as Slack sends a dialog's submission, to the same endpoint, so it meets the real checks).
 */
async function slackClick(
  raw: string,
  base: string,
  inbox: Inbox,
): Promise<{ status: number; text: string }> {
  let click: { action_id?: unknown; value?: unknown; ts?: unknown; reason?: unknown };
  try {
    click = JSON.parse(raw);
  } catch {
    return { status: 400, text: 'not JSON' };
  }
  const secret = process.env.SLACK_SIGNING_SECRET ?? '';
  const trigger = `inbox-${randomUUID()}`;
  const signed = signedSlackClick(
    { action_id: String(click.action_id), value: String(click.value), trigger_id: trigger },
    secret,
    inbox.slackMessage(String(click.ts)),
  );
  const res = await fetch(`${base}/slack/interactions`, { method: 'POST', ...signed });
  const text = await res.text();
  const view = inbox.slackView(trigger);
  if (!res.ok || !view) return { status: res.status, text };
  const submitted = signedSlack(
    {
      type: 'view_submission',
      user: INBOX_SLACK_USER,
      view: {
        callback_id: view.callback_id,
        private_metadata: view.private_metadata,
        state: {
          values: { reason: { reason: { type: 'plain_text_input', value: String(click.reason ?? '') } } },
        },
      },
    },
    secret,
  );
  const done = await fetch(`${base}/slack/interactions`, { method: 'POST', ...submitted });
  const answer = await done.text();
  // Slack shows a refusal in the dialog; here it is the button's answer.
  const refused = answer
    ? (JSON.parse(answer) as { errors?: { reason?: string } }).errors?.reason
    : undefined;
  return refused ? { status: 409, text: refused } : { status: done.status, text: 'Gate rejected' };
}

/** The inbox's Teams user: presses in the Teams look-alike are theirs. */
export const INBOX_TEAMS_USER = {
  id: '29:inbox-user',
  aadObjectId: '00000000-0000-4000-8000-0000000000a1',
  name: 'you',
};

/**
 * A press on the Teams look-alike's card as Teams sends it: an `adaptiveCard/action` invoke,
 * with a Bot Framework token signed by the stand-in issuer's key, to the real /teams/messages.
 */
async function teamsClick(
  raw: string,
  base: string,
  inbox: Inbox,
): Promise<{ status: number; text: string }> {
  let press: { verb?: unknown; data?: unknown; id?: unknown };
  try {
    press = JSON.parse(raw);
  } catch {
    return { status: 400, text: '{"error":"not JSON"}' };
  }
  const serviceUrl = process.env.TEAMS_SERVICE_URL ?? '';
  const activity = {
    type: 'invoke',
    name: 'adaptiveCard/action',
    id: randomUUID(),
    channelId: 'msteams',
    serviceUrl,
    from: INBOX_TEAMS_USER,
    recipient: { id: `28:${INBOX_TEAMS_APP_ID}` },
    conversation: { id: INBOX_TEAMS_CONVERSATION },
    replyToId: String(press.id),
    value: { action: { type: 'Action.Execute', verb: press.verb, data: press.data } },
  };
  const res = await fetch(`${base}/teams/messages`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${await inbox.teamsBot.sign(serviceUrl)}`,
    },
    body: JSON.stringify(activity),
  });
  const text = await res.text();
  // Teams shows what the invoke answered: the body's own statusCode/type/value.
  try {
    return {
      status: res.status,
      text: JSON.stringify((JSON.parse(text) as { value?: unknown; type?: unknown; error?: unknown }) ?? {}),
    };
  } catch {
    return { status: res.status, text };
  }
}

/** GET / (the page), GET /inbox/feed (server-sent events), POST /inbox/demo, and the stand-ins. */
export async function serveInbox(
  inbox: Inbox,
  root: string,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  ingestUrl: () => string,
  on: () => readonly ProviderId[],
): Promise<boolean> {
  if (req.method === 'GET' && path === '/') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(inboxHtml(on()));
    return true;
  }
  if (req.method === 'GET' && path === '/inbox/feed') {
    inbox.subscribe(req, res);
    return true;
  }
  if (req.method === 'GET' && path === '/inbox/messages') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(inbox.items));
    return true;
  }
  if (req.method === 'POST' && path === '/inbox/demo') {
    void runDemo(root, ingestUrl().replace(/\/events$/, ''), {
      spacingMs: Number(process.env.DEMO_SPACING_MS ?? 1000),
      token: process.env.INGEST_TOKEN,
      gateIntervalMs: Number(process.env.DEMO_GATE_INTERVAL_MS ?? 2000),
      gateWaitMs: 600_000,
    }).catch(() => {});
    res.writeHead(202, { 'content-type': 'application/json' }).end('{"status":"replaying"}');
    return true;
  }
  if (req.method === 'POST' && path === '/inbox/click') {
    // A click on an Approve or Roll back button in the Slack look-alike, sent on as Slack sends
    // it: a signed block_actions payload to /slack/interactions, so it meets the real checks.
    let body = '';
    for await (const chunk of req) body += chunk;
    const out = await slackClick(body, ingestUrl().replace(/\/events$/, ''), inbox);
    res.writeHead(out.status, { 'content-type': 'text/plain; charset=utf-8' }).end(out.text);
    return true;
  }
  if (req.method === 'POST' && path === '/inbox/teams-click') {
    let body = '';
    for await (const chunk of req) body += chunk;
    const out = await teamsClick(body, ingestUrl().replace(/\/events$/, ''), inbox);
    res.writeHead(out.status, { 'content-type': 'application/json' }).end(out.text);
    return true;
  }
  // The Teams bot's stand-in issuer: its OpenID metadata and signing keys (TEAMS_OPENID_URL).
  if (req.method === 'GET' && path === '/inbox/teams-bot/openid') {
    const at = `${ingestUrl().replace(/\/events$/, '')}/inbox/teams-bot`;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(inbox.teamsBot.openid(at)));
    return true;
  }
  if (req.method === 'GET' && path === '/inbox/teams-bot/keys') {
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify(await inbox.teamsBot.keys()));
    return true;
  }
  const teamsCall = path.startsWith('/inbox/teams-bot/') && (req.method === 'PUT' || req.method === 'GET');
  if ((req.method === 'POST' || req.method === 'PATCH' || teamsCall) && path.startsWith('/inbox/')) {
    let body = '';
    for await (const chunk of req) body += chunk;
    inbox.standIn(
      req.method as string,
      path.slice('/inbox/'.length).split('/'),
      body,
      res,
      req.headers.authorization,
    );
    return true;
  }
  return false;
}

import { type HttpAnswer, postJson } from '../../delivery/http';
import { PermanentDeliveryError, RetryableDeliveryError } from '../../errors';
import { LiveMessageGoneError } from '../live';

/** An app's client credentials and where to trade them for a token (Microsoft Entra ID). */
export interface BotCredentials {
  appId: string;
  password: string;
  /** `https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token`, or a stand-in's. */
  tokenUrl: string;
}

// "Authentication with the Bot Connector API" (learn.microsoft.com, Bot Framework REST API):
// client credentials, this scope, and the token sent as a bearer on every connector call.
const SCOPE = 'https://api.botframework.com/.default';
// Renewed this long before it expires, so a call never carries a token that lapses on the way.
const EARLY_MS = 5 * 60_000;

/**
 * The app's token, cached until shortly before it expires (one per worker environment, as a
 * cold start keeps it); `forget` after a 401 so the next call asks anew.
 */
export function botToken(c: BotCredentials, timeoutMs: () => number, now = () => Date.now()) {
  let cached: { token: string; until: number } | undefined;
  return {
    async get(): Promise<string> {
      if (cached && now() < cached.until) return cached.token;
      const a = await postJson(
        c.tokenUrl,
        { grant_type: 'client_credentials', client_id: c.appId, client_secret: c.password, scope: SCOPE },
        {
          timeoutMs: timeoutMs(),
          label: 'teams-bot',
          kind: 'token endpoint',
          encoding: 'form',
          private: true,
          // A refused secret is said by its OAuth error code, never the answer's text.
          check: (answer, where) => {
            const code = (answer.json as { error?: string } | undefined)?.error;
            if (answer.status === 400 || answer.status === 401)
              throw new PermanentDeliveryError(
                `${where}: ${code ?? `answered ${answer.status}`}`,
                answer.status,
              );
          },
        },
      );
      const body = a.json as { access_token?: unknown; expires_in?: unknown } | undefined;
      if (typeof body?.access_token !== 'string')
        throw new RetryableDeliveryError('teams-bot token endpoint answered without a token');
      const seconds = Number(body.expires_in) || 3600;
      cached = { token: body.access_token, until: now() + seconds * 1000 - EARLY_MS };
      return cached.token;
    },
    forget() {
      cached = undefined;
    },
  };
}

export type BotToken = ReturnType<typeof botToken>;

/**
 * The Bot Connector's answers, classified: 401 is a token it no longer takes (asked anew, then
 * retried), 403 a bot not in the conversation, 404 on an update a card that is gone (the rollout
 * goes on in a new one); 429 and 5xx are retried with their Retry-After by postJson.
 */
function check(token: BotToken, method: string) {
  return (a: HttpAnswer, where: string) => {
    if (a.status === 401) {
      token.forget();
      throw new RetryableDeliveryError(
        `${where} answered 401: the token was refused; asking for a new one`,
        401,
      );
    }
    if (a.status === 404 && method === 'PUT') throw new LiveMessageGoneError('teams activity 404');
    if (a.status === 403)
      throw new PermanentDeliveryError(
        `${where} answered 403: is the bot installed in this conversation?`,
        403,
      );
  };
}

/** Calls on one conversation: post an activity, update it, reply to it, read a member. */
export function connector(
  serviceUrl: string,
  conversation: string,
  token: BotToken,
  timeoutMs: () => number,
) {
  const base = `${serviceUrl.replace(/\/+$/, '')}/v3/conversations/${encodeURIComponent(conversation)}`;
  const call = async (method: 'POST' | 'PUT' | 'GET', path: string, body?: unknown) =>
    postJson(`${base}${path}`, body ?? {}, {
      timeoutMs: timeoutMs(),
      label: 'teams-bot',
      kind: 'Bot Connector',
      method,
      headers: { authorization: `Bearer ${await token.get()}` },
      check: check(token, method),
    });
  return {
    async post(activity: unknown): Promise<string> {
      const id = (await call('POST', '/activities', activity)).json as { id?: unknown } | undefined;
      // Without its id the card cannot be redrawn: ask again rather than lose the live card.
      if (typeof id?.id !== 'string' || !id.id)
        throw new RetryableDeliveryError('teams-bot Bot Connector answered without an activity id');
      return id.id;
    },
    async update(activityId: string, activity: unknown): Promise<void> {
      await call('PUT', `/activities/${encodeURIComponent(activityId)}`, {
        ...(activity as object),
        id: activityId,
      });
    },
    async reply(activityId: string, activity: unknown): Promise<void> {
      await call('POST', `/activities/${encodeURIComponent(activityId)}`, {
        ...(activity as object),
        replyToId: activityId,
      });
    },
    /** A member's UPN and e-mail (GetConversationMember), for approvers named by UPN. */
    async member(userId: string): Promise<{ userPrincipalName?: string; email?: string }> {
      return ((await call('GET', `/members/${encodeURIComponent(userId)}`)).json ?? {}) as {
        userPrincipalName?: string;
        email?: string;
      };
    },
  };
}

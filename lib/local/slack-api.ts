/**
 * A stand-in for the part of Slack's Web API the Slack app provider calls (chat.postMessage,
 * chat.update, conversations.history, usergroups.users.list) and the interactions endpoint
 * (users.info, views.open), in memory: `npm run echo-webhooks` answers with it and
 * the tests script its failures. Not a Slack emulator: just enough to show and check the live
 * message and its thread.
 */

export interface SlackMessage {
  ts: string;
  channel: string;
  text?: string;
  attachments?: unknown[];
  metadata?: { event_type: string; event_payload: Record<string, unknown> };
  replies: { ts: string; text?: string; broadcast: boolean }[];
  updates: number;
}

export interface ScriptedFailure {
  error?: string;
  /** An HTTP status other than 200 (429 for a rate limit). */
  status?: number;
  retryAfter?: number;
  /** Do the call, then answer with the failure anyway (Slack's `fatal_error` can mean "posted"). */
  afterDoing?: boolean;
}

export interface SlackApiStandIn {
  channel: string;
  messages: SlackMessage[];
  calls: { method: string; body: Record<string, unknown>; auth?: string }[];
  failNext(method: string, failure: ScriptedFailure): void;
  /** Whether conversations.history works (the token has channels:history). */
  history: boolean;
  /** User groups (S… → user ids) that usergroups.users.list answers. */
  groups: Record<string, string[]>;
  /** Users' e-mails that users.info answers, when the token has users:read.email (`emails: false`: not). */
  users: Record<string, { email?: string }>;
  emails: boolean;
  /** Dialogs opened (views.open), newest last; a trigger id opens one dialog, once. */
  views: { trigger_id: string; view: Record<string, unknown> }[];
  /** Answers one call: the status, headers and JSON body to send back. */
  handle(
    method: string,
    body: Record<string, unknown>,
    auth?: string,
  ): { status: number; headers: Record<string, string>; json: unknown };
}

export function slackApiStandIn(channel = 'C0LOCAL0001'): SlackApiStandIn {
  let clock = 1_700_000_000_000;
  const nextTs = () => `${Math.floor(++clock / 1000)}.${String(clock % 1000).padStart(6, '0')}`;
  const failures = new Map<string, ScriptedFailure[]>();
  const self: SlackApiStandIn = {
    channel,
    messages: [],
    calls: [],
    history: true,
    groups: {},
    users: {},
    emails: true,
    views: [],
    failNext(method, failure) {
      failures.set(method, [...(failures.get(method) ?? []), failure]);
    },
    handle(method, body, auth) {
      self.calls.push({ method, body, ...(auth ? { auth } : {}) });
      const failure = failures.get(method)?.shift();
      if (failure && !failure.afterDoing) return answer(failure);
      const result = doCall(method, body);
      return failure ? answer(failure) : { status: 200, headers: {} as Record<string, string>, json: result };
    },
  };
  const answer = (f: ScriptedFailure) => ({
    status: f.status ?? 200,
    headers: (f.retryAfter !== undefined ? { 'retry-after': String(f.retryAfter) } : {}) as Record<
      string,
      string
    >,
    json: { ok: false, error: f.error ?? (f.status === 429 ? 'ratelimited' : 'fatal_error') },
  });
  const find = (ts: unknown) => self.messages.find((m) => m.ts === ts);
  function doCall(method: string, body: Record<string, unknown>): unknown {
    if (method === 'chat.postMessage') {
      const ts = nextTs();
      if (body.thread_ts) {
        const parent = find(body.thread_ts);
        if (!parent) return { ok: false, error: 'thread_not_found' };
        parent.replies.push({ ts, text: body.text as string, broadcast: body.reply_broadcast === true });
      } else {
        self.messages.push({
          ts,
          channel,
          text: body.text as string,
          attachments: body.attachments as unknown[],
          metadata: body.metadata as SlackMessage['metadata'],
          replies: [],
          updates: 0,
        });
      }
      return { ok: true, channel, ts };
    }
    if (method === 'chat.update') {
      const m = find(body.ts);
      if (!m || body.channel !== channel) return { ok: false, error: 'message_not_found' };
      m.text = body.text as string;
      m.attachments = body.attachments as unknown[];
      m.updates++;
      return { ok: true, channel, ts: m.ts };
    }
    if (method === 'usergroups.users.list') {
      const users = self.groups[String(body.usergroup)];
      return users ? { ok: true, users } : { ok: false, error: 'no_such_subteam' };
    }
    if (method === 'users.info') {
      const u = self.users[String(body.user)];
      if (!u) return { ok: false, error: 'user_not_found' };
      // Without users:read.email Slack leaves the field out of the profile.
      return { ok: true, user: { id: body.user, profile: self.emails && u.email ? { email: u.email } : {} } };
    }
    if (method === 'views.open') {
      const trigger = String(body.trigger_id ?? '');
      if (!trigger || self.views.some((v) => v.trigger_id === trigger))
        return { ok: false, error: 'invalid_trigger_id' };
      self.views.push({ trigger_id: trigger, view: body.view as Record<string, unknown> });
      return { ok: true, view: { id: `V${self.views.length}` } };
    }
    if (method === 'conversations.history') {
      if (!self.history) return { ok: false, error: 'missing_scope' };
      return {
        ok: true,
        messages: [...self.messages].reverse().map(({ ts, text, metadata }) => ({ ts, text, metadata })),
      };
    }
    return { ok: false, error: 'unknown_method' };
  }
  return self;
}

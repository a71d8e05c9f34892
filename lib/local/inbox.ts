import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Delivered } from '../delivery/http';
import { isProviderId } from '../providers/catalog';
import { botConnectorStandIn } from './bot-connector';
import { slackApiStandIn } from './slack-api';
import { INBOX_TEAMS_APP_ID, STAND_INS } from './stand-ins';

/** One thing a destination received: a message, an edit of one, or a reply in its thread. */
export interface InboxItem {
  seq: number;
  provider: string;
  kind: 'message' | 'update' | 'reply';
  /** The message's id where the platform gives one (Slack ts, Discord id), else the sequence. */
  id: string;
  parent?: string;
  at: number;
  payload: unknown;
  /** Host of the configured destination a mirrored delivery went to; absent for the stand-ins. */
  via?: string;
}

const KEEP = 2000;

/**
 * The local inbox: loopback stand-ins for every provider that keep what they receive, and a feed
 * of it for the page at `/` (server-sent events). Local only: never part of a deployed function.
 */
export function createInbox() {
  const items: InboxItem[] = [];
  const clients = new Set<ServerResponse>();
  const slackApi = slackApiStandIn('C0INBOX0001');
  const teamsBot = botConnectorStandIn(INBOX_TEAMS_APP_ID);
  let seq = 0;
  const add = (item: Omit<InboxItem, 'seq' | 'at'>) => {
    const full = { ...item, seq: ++seq, at: Date.now() };
    items.push(full);
    if (items.length > KEEP) items.shift();
    for (const c of clients) c.write(`data: ${JSON.stringify(full)}\n\n`);
  };

  /**
   * Keeps one delivered call as the platform would show it. `path` is the URL path's segments
   * (Slack's API method, Discord's message id), `answer` the platform's JSON answer.
   */
  function note(
    provider: string,
    method: string,
    path: string[],
    payload: unknown,
    answer: unknown,
    via?: string,
  ) {
    const extra = via ? { via } : {};
    if (provider === 'slack-app') {
      const call = path.at(-1) ?? '';
      const args = (payload ?? {}) as Record<string, unknown>;
      const ts = (answer as { ts?: string } | undefined)?.ts;
      if (call === 'chat.postMessage' && ts) {
        add(
          args.thread_ts
            ? { provider, kind: 'reply', id: ts, parent: String(args.thread_ts), payload: args, ...extra }
            : { provider, kind: 'message', id: ts, payload: args, ...extra },
        );
      }
      if (call === 'chat.update' && ts) add({ provider, kind: 'update', id: ts, payload: args, ...extra });
      return;
    }
    if (provider === 'discord') {
      // POST …?wait=true creates a message and returns its id; PATCH …/messages/{id} edits it.
      const edit = method === 'PATCH' ? path[path.indexOf('messages') + 1] : undefined;
      const id = edit ?? (answer as { id?: string } | undefined)?.id ?? String(seq + 1);
      add({ provider, kind: edit ? 'update' : 'message', id, payload, ...extra });
      return;
    }
    if (provider === 'teams-bot') {
      // POST …/activities creates a card (answered with its id), PUT …/activities/{id} redraws it,
      // POST …/activities/{id} replies to it. The token request is never shown.
      const i = path.indexOf('activities');
      if (i < 0) return;
      const target = path[i + 1];
      const id = target ?? (answer as { id?: string } | undefined)?.id ?? String(seq + 1);
      if (method === 'PUT') add({ provider, kind: 'update', id, payload, ...extra });
      else if (target)
        add({
          provider,
          kind: 'reply',
          id: (answer as { id?: string } | undefined)?.id ?? String(seq + 1),
          parent: target,
          payload,
          ...extra,
        });
      else add({ provider, kind: 'message', id, payload, ...extra });
      return;
    }
    if (provider === 'grafana') {
      // POST …/api/annotations creates a region; PATCH …/api/annotations/{id} moves it.
      if (method === 'GET') return;
      const edit = method === 'PATCH' ? path.at(-1) : undefined;
      add({ provider, kind: edit ? 'update' : 'message', id: edit ?? String(seq + 1), payload, ...extra });
      return;
    }
    if (provider === 'telegram') {
      // sendMessage posts (a reply when it names the message it answers); editMessageText edits.
      const args = (payload ?? {}) as { message_id?: number; reply_parameters?: { message_id?: number } };
      if (path.at(-1) === 'editMessageText')
        add({ provider, kind: 'update', id: String(args.message_id), payload, ...extra });
      else if (args.reply_parameters?.message_id)
        add({
          provider,
          kind: 'reply',
          id: String(seq + 1),
          parent: String(args.reply_parameters.message_id),
          payload,
          ...extra,
        });
      else add({ provider, kind: 'message', id: String(seq + 1), payload, ...extra });
      return;
    }
    add({ provider, kind: 'message', id: String(seq + 1), payload, ...extra });
  }

  /** Answers a stand-in call; `parts` is the path after `/inbox/`. */
  function standIn(method: string, parts: string[], body: string, res: ServerResponse, auth?: string) {
    const provider = parts[0] ?? '';
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      json = body;
    }
    const answer = isProviderId(provider) ? STAND_INS[provider].answer : undefined;
    if (answer === 'slack-api') {
      const out = slackApi.handle(parts[1] ?? '', (json ?? {}) as Record<string, unknown>);
      note(provider, method, parts, json, out.json);
      res
        .writeHead(out.status, { 'content-type': 'application/json', ...out.headers })
        .end(JSON.stringify(out.json));
      return;
    }
    if (answer === 'bot-connector') {
      const out = teamsBot.handle(method, parts.slice(1), json, auth);
      if (out.shown) note(provider, method, parts, json, out.json);
      res.writeHead(out.status, { 'content-type': 'application/json' }).end(JSON.stringify(out.json));
      return;
    }
    if (answer === 'discord-message') {
      const edit = method === 'PATCH' ? parts[parts.indexOf('messages') + 1] : undefined;
      const id = edit ?? String(seq + 1);
      note(provider, method, parts, json, { id });
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id }));
      return;
    }
    if (!answer) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"no such stand-in"}');
      return;
    }
    const id = String(seq + 1);
    note(provider, method, parts, json, undefined);
    res.writeHead(answer.status, answer.type ? { 'content-type': answer.type } : {}).end(answer.body(id));
  }

  /** A delivery to a configured (real) destination, shown next to the stand-ins' messages. */
  function mirror(d: Delivered) {
    const url = new URL(d.url);
    note(d.provider, d.method, url.pathname.split('/').filter(Boolean), d.payload, d.answer, url.host);
  }

  return {
    items,
    /** The feed the page follows: everything so far, then each item as it arrives. */
    subscribe(req: IncomingMessage, res: ServerResponse) {
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
      });
      for (const i of items) res.write(`data: ${JSON.stringify(i)}\n\n`);
      clients.add(res);
      req.on('close', () => clients.delete(res));
    },
    standIn,
    mirror,
    teamsBot,
    /** The Slack stand-in's message with this ts, as Slack puts it in an interaction payload. */
    slackMessage(ts: string) {
      const m = slackApi.messages.find((x) => x.ts === ts);
      return m
        ? { channel: m.channel, message: { ts: m.ts, text: m.text, attachments: m.attachments } }
        : undefined;
    },
    /** The dialog the interactions endpoint opened with this trigger id (views.open), if any. */
    slackView(trigger: string) {
      return slackApi.views.find((v) => v.trigger_id === trigger)?.view;
    },
    close() {
      for (const c of clients) c.end();
      clients.clear();
    },
  };
}
export type Inbox = ReturnType<typeof createInbox>;

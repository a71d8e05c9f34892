// `npm run echo-webhooks`: stand-ins for every provider on 127.0.0.1 that print what they receive
// and answer the way the platform does, for trying the pipeline before you have real webhooks.
// Point a provider at http://127.0.0.1:4000/<provider>, e.g. DISCORD_WEBHOOK_URL=…/discord.
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import { botConnectorStandIn } from '../lib/local/bot-connector';
import { slackApiStandIn } from '../lib/local/slack-api';
import { INBOX_TEAMS_APP_ID, STAND_INS } from '../lib/local/stand-ins';
import { isProviderId, PROVIDER_IDS } from '../lib/providers/catalog';

const port = Number(process.env.ECHO_PORT ?? 4000);
const verbose = process.argv.includes('--verbose');

/** The line a person reads first: the text, title or alert name in the payload. */
function summary(body: string): string {
  try {
    const j = JSON.parse(body);
    const first = Array.isArray(j) ? j[0] : j;
    const text =
      first?.text ??
      first?.content ??
      first?.embeds?.[0]?.title ??
      first?.attachments?.[0]?.fallback ??
      first?.attachments?.[0]?.content?.body?.[0]?.items?.[0]?.text ??
      first?.cardsV2?.[0]?.card?.header?.title ??
      (first?.labels
        ? `${first.labels.alertname} ${first.labels.namespace}/${first.labels.name} until ${first.endsAt}`
        : undefined) ??
      (first?.canary ? `${first.kind} ${first.canary}` : undefined);
    return String(text ?? '(json)')
      .replace(/\s+/g, ' ')
      .slice(0, 160);
  } catch {
    return body.slice(0, 160);
  }
}

/** Checks a generic webhook's X-Signature the way a receiver should, when WEBHOOK_SECRET is set here too. */
function signatureNote(body: string, header: string | undefined): string {
  const secret = process.env.WEBHOOK_SECRET;
  if (!header) return '(unsigned)';
  if (!secret) return '(signed; set WEBHOOK_SECRET here to verify)';
  const want = Buffer.from(`sha256=${createHmac('sha256', secret).update(body).digest('hex')}`);
  const got = Buffer.from(header);
  return want.length === got.length && timingSafeEqual(want, got) ? '(signature ok)' : '(SIGNATURE MISMATCH)';
}

// The Slack app's Web API (SLACK_API_URL=http://127.0.0.1:4000/slack-app): posts get a fresh ts,
// updates change the message in place, replies join its thread.
const slackApi = slackApiStandIn();
// TEAMS_APP_ID must be the inbox's app id for its token endpoint to answer.
const teamsBot = botConnectorStandIn(INBOX_TEAMS_APP_ID);

createServer((req, res) => {
  let body = '';
  req.on('data', (c) => {
    body += c;
  });
  req.on('end', () => {
    const provider = req.url?.split(/[/?]/)[1] ?? '';
    const standIn = isProviderId(provider) ? STAND_INS[provider].answer : STAND_INS.slack.answer;
    if (standIn === 'slack-api') {
      const method = req.url?.split('/')[2] ?? '';
      let json: Record<string, unknown> = {};
      try {
        json = JSON.parse(body);
      } catch {}
      const out = slackApi.handle(method, json);
      const { ts } = (out.json as { ts?: string }) ?? {};
      const what = json.thread_ts
        ? `reply in thread ${json.thread_ts}`
        : method === 'chat.update'
          ? `update ${json.ts}`
          : `ts ${ts}`;
      console.log(`--- slack-app ${method} ${what}: ${String(json.text ?? '').slice(0, 120)}`);
      res.writeHead(out.status, { 'content-type': 'application/json', ...out.headers });
      res.end(JSON.stringify(out.json));
      return;
    }
    if (standIn === 'bot-connector') {
      // The Teams bot's token endpoint and Bot Connector, each call answered as Microsoft does.
      const parts = (req.url ?? '').split('?')[0]?.split('/').filter(Boolean).slice(1) ?? [];
      let json: unknown = body;
      try {
        json = JSON.parse(body);
      } catch {}
      const out = teamsBot.handle(req.method ?? 'POST', parts, json, req.headers.authorization);
      if (out.shown) console.log(`--- teams-bot ${out.shown.kind} ${out.shown.id}`);
      res.writeHead(out.status, { 'content-type': 'application/json' }).end(JSON.stringify(out.json));
      return;
    }
    const note =
      provider === 'webhook' ? ` ${signatureNote(body, req.headers['x-signature'] as string)}` : '';
    // One line per message; --verbose adds the whole body.
    console.log(
      `--- ${provider || 'slack'} ${req.method} ${new Date().toISOString()}${note}: ${summary(body)}`,
    );
    if (verbose) {
      try {
        console.log(JSON.stringify(JSON.parse(body), null, 2));
      } catch {
        console.log(body);
      }
    }
    if (standIn === 'discord-message') {
      // With ?wait=true Discord returns the message; its id is what a live message is edited by.
      const id = req.method === 'PATCH' ? (req.url?.split('/messages/')[1] ?? '') : String(Date.now());
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id, type: 0 }));
    } else {
      res.writeHead(standIn.status, standIn.type ? { 'content-type': standIn.type } : {});
      res.end(standIn.body(randomUUID()));
    }
  });
}).listen(port, '127.0.0.1', () => {
  console.log(
    `echo webhooks on http://127.0.0.1:${port}/<provider>: ${PROVIDER_IDS.filter((id) => id !== 'slack-app').join(', ')}; Slack Web API at http://127.0.0.1:${port}/slack-app`,
  );
});

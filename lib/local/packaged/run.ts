import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import * as z from 'zod/mini';
import { type Env, intEnv, parseEnv } from '../../env';
import { serveInbox } from '../inbox-server';
import { prettyLine } from '../pretty';
import type { AwsCall } from './aws-gate';
import { startPackagedLocal } from './local';
import { targetOf } from './template';

const packagedEnv = z.object({
  PORT: intEnv(3000, 0, 65535),
  LOCAL_INBOX_PORT: intEnv(0, 0, 65535),
  LOCAL_STATUS_SECONDS: intEnv(15, 1, 3600),
});

/**
 * What the packaged run did, by role: each action with the number of resources it was judged on
 * (a GetParameters of three parameters counts three), and every call IAM refused.
 */
export function callSummary(calls: readonly AwsCall[]): string[] {
  const byRole = new Map<string, Map<string, number>>();
  for (const c of calls) {
    const actions = byRole.get(c.role) ?? new Map<string, number>();
    actions.set(c.action, (actions.get(c.action) ?? 0) + 1);
    byRole.set(c.role, actions);
  }
  const width = Math.max(0, ...[...byRole.keys()].map((r) => r.length));
  const denied = calls.filter((c) => !c.allowed);
  return [
    ...[...byRole].map(
      ([role, actions]) =>
        `  ${role.padEnd(width)}  ${[...actions].map(([a, n]) => `${a} ×${n}`).join(', ')}`,
    ),
    denied.length
      ? `  DENIED (a deploy would fail these): ${[...new Set(denied.map((c) => `${c.role} ${c.action} on ${c.resource}`))].join('; ')}`
      : '  denied: none',
  ];
}

/**
 * `LOCAL_PACKAGED=1 npm start`: the packaged bundles instead of the sources, as a deploy runs
 * them (lib/local/packaged/local.ts): `serverless package` for the stage `packaged`, each zip in
 * its own Node process with its template environment and role, every AWS call judged by the
 * template's IAM policies (a refused one is printed at once), the HTTP API over https, and the
 * inbox's stand-ins as every provider's platform. The inbox page is served on plain http.
 */
export async function runPackaged(root: string, env: Env, log: (line: string) => void) {
  const e = parseEnv(packagedEnv, env, 'local');
  log('[packaged] packaging the stack (serverless package --stage packaged) and starting its functions…');
  const t0 = Date.now();
  const p = await startPackagedLocal(root, {
    stage: 'packaged',
    port: e.PORT,
    ...(env.CHANNELS ? { deployEnv: { CHANNELS: env.CHANNELS } } : {}),
    // EMF metric lines are what CloudWatch reads, not people.
    log: (fn, line) => {
      if (!line.startsWith('{"_aws"'))
        log(`${fn.replace(/^flagger-notify-packaged-/, '')}  ${prettyLine(line).trimEnd()}`);
    },
    onCall: (_call, refused) => {
      if (refused) log(`[iam] AccessDeniedException: ${refused}`);
    },
  });
  log(`[packaged] packaged and started in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  // The page's demo and clicks post to the packaged API as Flagger and Slack would.
  process.env.INGEST_TOKEN = p.token;
  // A secret is never printed, not even a local one: the token is in a file only you can read.
  const tokenFile = join(dirname(p.certificate), 'ingest-token');
  writeFileSync(tokenFile, p.token, { mode: 0o600 });
  process.env.SLACK_SIGNING_SECRET = p.secrets.SLACK_SIGNING_SECRET;
  const ingestUrl = `${p.stack.apiUrl}/events`;
  const providers = p.stack.mappings.map((m) => m.fn.spec.environment.PROVIDER ?? '');
  const page = createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    if (
      !(await serveInbox(
        p.inbox,
        root,
        req,
        res,
        path,
        () => ingestUrl,
        () => providers as never,
      ))
    )
      res.writeHead(404).end();
  });
  await new Promise<void>((ok, fail) => {
    page.once('error', fail);
    page.listen(e.LOCAL_INBOX_PORT, '127.0.0.1', () => ok());
  });
  const inbox = `http://127.0.0.1:${(page.address() as AddressInfo).port}/`;
  // The template's schedules (the status function, every minute deployed), on a short interval.
  const scheduled = Object.values(p.stack.template.Resources)
    .filter((r) => r.Type === 'AWS::Events::Rule')
    .flatMap((r) => (r.Properties.Targets as { Arn: unknown }[]).map((t) => targetOf(t.Arn)));
  const timer = setInterval(() => {
    for (const fn of scheduled)
      void p.stack.invoke(fn, { source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} });
  }, e.LOCAL_STATUS_SECONDS * 1000);
  timer.unref();
  log(
    [
      `flagger-notify's packaged bundles are running on 127.0.0.1 — Ctrl-C stops it`,
      `  api        ${ingestUrl}  (https, with a certificate made for this run: curl --cacert ${p.certificate})`,
      `  token      ${tokenFile}  (this run's ingest token, readable by you only: ?token=… or Authorization: Bearer …)`,
      `  functions  ${p.stack.functions.size}, each its zip in its own Node process, as ${p.artifacts} packages them`,
      `  iam        every SQS, DynamoDB and SSM call judged against the template's roles; a refused one is printed`,
      `  providers  ${providers.join(', ')} → the inbox's stand-ins (over https)`,
      `  inbox      ${inbox}  (its demo button sends the sample rollouts through the packaged API)`,
    ].join('\n'),
  );
  return {
    backlog: () => p.stack.backlog(),
    async stop() {
      clearInterval(timer);
      const unset = await p.stack.unsetReads();
      log(
        ['[packaged] AWS calls by role (resources judged per action):', ...callSummary(p.stack.calls)].join(
          '\n',
        ),
      );
      for (const [fn, vars] of Object.entries(unset))
        log(`[packaged] ${fn} read variables its template entry does not set: ${vars.join(', ')}`);
      await new Promise<void>((r) => {
        page.closeAllConnections();
        page.close(() => r());
      });
      await p.stop();
    },
  };
}

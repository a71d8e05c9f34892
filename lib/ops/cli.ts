import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import { createSqsClient } from '../aws/queue';
import { destinationProblems } from '../config/destinations';
import { SERVICE } from '../infra/names';
import { dlqName, queueName } from '../infra/stack';
import { isProviderId, PROVIDER_IDS } from '../providers/catalog';
import { loadRouting } from '../routing/config';
import { describeSchedules, eventsFrom, explain, renderTemplates, summarize } from './check-config';
import { type DeadLetter, listDeadLetters, redrive } from './dlq';
import { doctor } from './doctor';
import { doctorDeps } from './doctor-aws';
import { fleetCommand } from './fleet-cli';
import { gateCommand } from './gate-cli';
import type { Io } from './io';
import { findLocalStack, unreachable } from './local-stack';
import { teamsManifestCommand } from './teams-manifest';

const USAGE = `usage: flagger-notify dlq list|redrive [provider] [--stage local] [--region R] [--endpoint URL] [--json]
       flagger-notify check-config [file] [--event file.json|.jsonl] [--route name] [--verbose]
       flagger-notify gate open|close|status <namespace>/<name> [--cluster C] [--stage S] [--region R] [--url URL]
       flagger-notify rollback <namespace>/<name> [--cluster C] [--stage S] [--region R] [--url URL]
       flagger-notify link fleet [--stage S] [--region R]
       flagger-notify digest --now [--stage S] [--region R]
       flagger-notify doctor --stage S [--region R]
       flagger-notify teams-manifest --app-id ID [--out file.zip] [--name N] [--website URL]

  doctor                  will a deployed stage work? Each function's parameters exist and pass its
                          own checks, the API refuses an event without a token, no alarm fires
                          (your AWS credentials; one line per problem, never a value; exit 1)

  check-config [file]     validate a routing file (default: $CONFIG_FILE): how many of the sample
                          events (or --event) reach each destination, each template worded once;
                          --verbose: each event, its destinations and the route that decided

  teams-manifest          write the Teams app package (manifest and icons, zipped) for the Teams
                          bot's Microsoft App ID, to upload in Teams (docs/providers/teams-bot.md)

  gate open|close|status  approve (or withdraw) a canary's rollout at its confirm gates, or show them
  rollback                signal Flagger's rollback webhook for the canary's running rollout
                          (npm start's API by default; --stage a deployed one, its URL and token
                          from SSM; --url any, with INGEST_TOKEN)

  link fleet              print a signed link to the fleet page (every canary, failing first)
  digest --now            send every configured digest now, from the last one sent until now
                          (npm start by default; --stage a deployed one: its link secret from
                          SSM, its status function invoked, with your AWS credentials)

  dlq list [provider]     show the dead letters (all, or one provider's: ${PROVIDER_IDS.join(', ')}) with why they failed
  dlq redrive [provider]  move them back to their provider's queue for another round of delivery

  --stage    serverless stage; "local" (default) is npm start's emulator (where it recorded itself, or SQS_PORT)
  --region   AWS region for a deployed stage (default: AWS_REGION)
  --endpoint SQS endpoint override (default: SQS_ENDPOINT); for doctor, every AWS call's
  --json     dlq list as JSON, for scripts`;

export type { Io };

/** `3h 2m` since the first failure, for people scanning a list. */
const age = (iso: string | undefined, now = Date.now()) => {
  const s = iso ? Math.max(0, Math.round((now - Date.parse(iso)) / 1000)) : Number.NaN;
  if (Number.isNaN(s)) return undefined;
  return s < 3600
    ? `${Math.floor(s / 60)}m ${s % 60}s`
    : `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
};

function describe(d: DeadLetter): string {
  const facts = [
    d.status && `status ${d.status}`,
    d.attempts && `attempts ${d.attempts}`,
    d.firstFailedAt && `first failed ${d.firstFailedAt} (${age(d.firstFailedAt)} ago)`,
  ];
  return [
    `- ${d.messageId}  ${d.provider ?? 'provider unknown'}  ${d.canary}  ${d.phase}  ${JSON.stringify(d.eventMessage.slice(0, 120))}`,
    `    reason: ${d.reason}`,
    `    ${facts.filter(Boolean).join(' · ')}`,
  ].join('\n');
}

/** The provider whose main queue (of this stage) an ARN names, as SQS records for what it moves. */
export const providerOfQueue =
  (stage: string) =>
  (arn: string): string | undefined =>
    PROVIDER_IDS.find((id) => arn.endsWith(`:${queueName(SERVICE, stage, id)}`));

/** `flagger-notify dlq …`; returns the process exit code. */
export async function main(
  argv: string[],
  io: Io,
  root = resolve(import.meta.dirname, '../..'),
): Promise<number> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        stage: { type: 'string' },
        region: { type: 'string' },
        endpoint: { type: 'string' },
        event: { type: 'string' },
        route: { type: 'string' },
        verbose: { type: 'boolean' },
        'app-id': { type: 'string' },
        out: { type: 'string' },
        name: { type: 'string' },
        website: { type: 'string' },
        url: { type: 'string' },
        cluster: { type: 'string' },
        help: { type: 'boolean' },
        json: { type: 'boolean' },
        now: { type: 'boolean' },
      },
    });
  } catch (e) {
    io.err(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const [group, command, provider] = parsed.positionals;
  const opt = parsed.values as {
    stage?: string;
    region?: string;
    endpoint?: string;
    event?: string;
    route?: string;
    url?: string;
    cluster?: string;
    help?: boolean;
    json?: boolean;
    now?: boolean;
    verbose?: boolean;
    'app-id'?: string;
    out?: string;
    name?: string;
    website?: string;
  };
  if (opt.help) {
    io.out(USAGE);
    return 0;
  }
  if (group === 'check-config') return checkConfig(command, opt, io, root);
  if (group === 'doctor') return doctorCommand(opt, io, root);
  if (group === 'teams-manifest')
    return teamsManifestCommand(
      {
        ...(opt['app-id'] ? { appId: opt['app-id'] } : {}),
        ...(opt.out ? { out: opt.out } : {}),
        ...(opt.name ? { name: opt.name } : {}),
        ...(opt.website ? { website: opt.website } : {}),
      },
      io,
    );
  if (group === 'link' || group === 'digest')
    return fleetCommand(
      {
        group,
        ...(command ? { command } : {}),
        ...(opt.now ? { now: true } : {}),
        ...(opt.stage ? { stage: opt.stage } : {}),
        ...(opt.region ? { region: opt.region } : {}),
      },
      io,
    );
  if (group === 'gate' || group === 'rollback')
    return gateCommand(
      {
        group,
        command,
        target: provider,
        url: opt.url,
        stage: opt.stage,
        region: opt.region,
        cluster: opt.cluster,
      },
      io,
    );
  if (group !== 'dlq' || (command !== 'list' && command !== 'redrive')) {
    io.err(USAGE);
    return 2;
  }
  const stage = opt.stage ?? 'local';
  if (provider !== undefined && !isProviderId(provider)) {
    io.err(`unknown provider "${provider}": expected one of ${PROVIDER_IDS.join(', ')}`);
    return 2;
  }
  // The names lib/infra gives every deploy's queues (and npm start's).
  const dlq = { name: dlqName(SERVICE, stage) };
  const select = { provider, ofQueue: providerOfQueue(stage) };
  // npm start's queues are where it recorded them (or SQS_PORT / SQS_ENDPOINT say).
  const local = stage === 'local' ? findLocalStack(io.env, io.cwd) : undefined;
  const endpoint = opt.endpoint ?? io.env.SQS_ENDPOINT ?? local?.sqs;
  const sqs = createSqsClient({ region: opt.region ?? io.env.AWS_REGION ?? 'us-east-1', endpoint }, 25_000);
  try {
    const url = async (name: string) =>
      (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl as string;
    const dlqUrl = await url(dlq.name);
    if (command === 'list') {
      const { total, shown } = await listDeadLetters(sqs, dlqUrl, select);
      if (opt.json) {
        io.out(JSON.stringify({ queue: dlq.name, provider, total, deadLetters: shown }, null, 2));
        return 0;
      }
      const canaries = new Set(shown.map((d) => d.canary));
      const reasons = new Map<string, number>();
      for (const d of shown) reasons.set(d.reason, (reasons.get(d.reason) ?? 0) + 1);
      io.out(
        `${dlq.name}${provider ? `, ${provider}` : ''}: ${total} dead letter${total === 1 ? '' : 's'} of ${canaries.size} canar${canaries.size === 1 ? 'y' : 'ies'}`,
      );
      for (const [reason, n] of reasons) io.out(`  ${n} × ${reason}`);
      for (const d of shown) io.out(describe(d));
      if (shown.length < total) {
        io.out(
          `(${total - shown.length} more behind these in their canaries' FIFO order; redrive moves them all)`,
        );
      }
    } else {
      const urls = new Map<string, Promise<string>>();
      const queueUrlOf = (id: string) => {
        const name = queueName(SERVICE, stage, id);
        if (!urls.has(name)) urls.set(name, url(name));
        return urls.get(name) as Promise<string>;
      };
      const { moved, unknown } = await redrive(sqs, dlqUrl, queueUrlOf, select);
      for (const d of moved)
        io.out(
          `redriven ${d.messageId}  ${d.provider}  ${d.canary}  ${JSON.stringify(d.eventMessage.slice(0, 80))}`,
        );
      const to = [...new Set(moved.map((d) => queueName(SERVICE, stage, d.provider as string)))];
      io.out(
        `${moved.length} dead letter${moved.length === 1 ? '' : 's'} moved from ${dlq.name}${to.length ? ` to ${to.join(', ')}` : ''}`,
      );
      if (unknown.length)
        io.out(
          `${unknown.length} left in ${dlq.name}: no provider recorded (${unknown.map((d) => d.messageId).join(', ')}); ` +
            'SQS moved them without naming the source queue, which only a local emulator does',
        );
    }
    return 0;
  } catch (e) {
    const err = e as Error;
    const where = endpoint ?? `AWS ${opt.region ?? io.env.AWS_REGION ?? ''}`.trim();
    const refused = /ECONNREFUSED|fetch failed|connect/i.test(`${err.name} ${err.message}`);
    io.err(
      local && !opt.endpoint && refused
        ? unreachable(local, 'sqs', err.message)
        : `cannot reach the queues of stage "${stage}" at ${where}: ${err.name}: ${err.message}`,
    );
    return 1;
  } finally {
    sqs.destroy();
  }
}

/** `flagger-notify doctor --stage S [--region R]`: 0 when the deployed stage should work, else 1. */
async function doctorCommand(
  opt: { stage?: string; region?: string; endpoint?: string },
  io: Io,
  root: string,
): Promise<number> {
  if (!opt.stage || opt.stage === 'local') {
    io.err(`doctor checks a deployed stage: flagger-notify doctor --stage <stage> [--region <region>]`);
    return 2;
  }
  const region = opt.region ?? io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION ?? 'eu-west-1';
  // --endpoint: every AWS call to one stand-in (AWS_ENDPOINT_URL likewise).
  const deps = doctorDeps(region, opt.endpoint ? { ...io.env, AWS_ENDPOINT_URL: opt.endpoint } : io.env);
  try {
    const report = await doctor(opt.stage, deps, root);
    for (const line of report.checked) io.out(`ok       ${line}`);
    for (const line of report.problems) io.err(`problem  ${line}`);
    io.out(
      report.problems.length
        ? `doctor: ${report.problems.length} problem${report.problems.length === 1 ? '' : 's'} in stage ${opt.stage} (${region})`
        : `doctor: stage ${opt.stage} (${region}) looks ready`,
    );
    return report.problems.length ? 1 : 0;
  } catch (err) {
    const e = err as Error;
    io.err(
      `doctor: cannot check stage ${opt.stage} in ${region}: ${e.name}${e.name === 'Error' ? `: ${e.message}` : ''}`,
    );
    return 1;
  } finally {
    deps.close();
  }
}

async function checkConfig(
  file: string | undefined,
  opt: { event?: string; route?: string; verbose?: boolean },
  io: Io,
  root: string,
): Promise<number> {
  const path = file ?? io.env.CONFIG_FILE;
  if (!path) {
    io.err(`check-config needs a file (or CONFIG_FILE)\n${USAGE}`);
    return 2;
  }
  try {
    // Routes can be checked without the secrets: an unset ${VAR} is noted, not fatal, here.
    const missing = new Set<string>();
    const given: Record<string, string | undefined> = { ...io.env, CONFIG: undefined, CONFIG_FILE: path };
    const env = new Proxy(given, {
      get: (t, k: string) => {
        if (t[k] || !/^[A-Z_][A-Z0-9_]*$/.test(k) || k === 'CONFIG') return t[k];
        missing.add(k);
        return `\${${k}}`;
      },
    });
    const config = await loadRouting(env, PROVIDER_IDS);
    if (missing.size)
      io.out(`note: not set here (fine for checking routes): ${[...missing].sort().join(', ')}`);
    if (opt.route && !config.routes.some((r) => r.name === opt.route))
      throw new Error(`no route named "${opt.route}"`);
    // What each destination's worker would refuse at its cold start (a Slack app without its
    // token): refused here too, before a deploy or `npm start`.
    const unusable = destinationProblems(given, config, (d) =>
      Object.values(d.options).some((v) => v?.includes('${')),
    );
    if (unusable.length) {
      for (const p of unusable) io.err(p);
      return 1;
    }
    io.out(
      `${path}: valid — ${Object.keys(config.destinations).length} destinations, ${config.routes.length} routes`,
    );
    const source = opt.event ?? resolve(root, 'events/flagger-events.jsonl');
    const events = eventsFrom(source);
    if (opt.verbose) for (const block of explain(config, events, opt.route)) io.out(block);
    else {
      io.out(`${events.length} events (${opt.event ?? 'the sample rollouts'}) would go:`);
      for (const line of summarize(config, events, opt.route)) io.out(line);
    }
    const { problems, samples } = renderTemplates(config, events);
    for (const p of problems) io.err(`template ${p}`);
    const templates =
      Object.keys(config.templates?.destinations ?? {}).length +
      Object.keys(config.templates?.routes ?? {}).length;
    if (templates && !problems.length) {
      io.out(
        `templates: ${templates} rendered against ${events.length} events, no errors; each on its first event:`,
      );
      for (const line of samples) io.out(line);
    }
    const schedules = describeSchedules(config);
    if (schedules.length) {
      io.out('digests and quiet hours:');
      for (const line of schedules) io.out(line);
    }
    if (!opt.verbose) io.out('(--verbose: each event, and the route that decided)');
    return problems.length ? 1 : 0;
  } catch (e) {
    io.err((e as Error).message);
    return 1;
  }
}

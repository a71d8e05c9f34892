import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { secretParams } from '../aws/secrets';
import { loadAccess } from '../config/clusters';
import { loadIngestConfig, loadWorkerConfig } from '../config/config';
import { loadDestinations } from '../config/destinations';
import { loadLinks } from '../config/links';
import type { Env } from '../env';
import { ConfigError } from '../errors';
import { SERVICE } from '../infra/names';
import { parseChannels, providerById } from '../providers/catalog';
import { memoryRolloutStore } from '../rollouts/memory-store';
import { pageApprovers } from '../web/page-actions';
import { slackDestinations } from '../web/slack-setup';
import { checkTemplates, eventsFrom } from './check-config';

/** What the preflight asks of AWS, with the caller's credentials (tests give stand-ins). */
export interface DoctorDeps {
  /** A function's environment as deployed; undefined when the function does not exist. */
  functionEnv(name: string): Promise<Record<string, string> | undefined>;
  /** SSM parameters, decrypted; a missing one is undefined. Throws when SSM refuses. */
  parameters(names: string[]): Promise<Record<string, string | undefined>>;
  /** The stage's CloudWatch alarms (names starting with `prefix`) and their states. */
  alarms(prefix: string): Promise<{ name: string; state: string }[]>;
  /** POSTs `body` to `url` without a token and returns the status (throws when unreachable). */
  post(url: string, body: string): Promise<number>;
}

export interface DoctorReport {
  problems: string[];
  checked: string[];
}

const errorText = (err: unknown) =>
  err instanceof ConfigError ? err.message : `${(err as Error).name}: cannot be checked here`;

/**
 * `flagger-notify doctor --stage S`: will the deployed stage work? Each function's deployed
 * configuration with the SSM parameters it names is put through the same loaders the function
 * runs at cold start (token formats, allowed hosts, the routing file and its templates against
 * the sample events), then the API must refuse an event without a token, and no alarm may fire.
 * A problem names the function and the variable or parameter, never a value.
 */
export async function doctor(stage: string, deps: DoctorDeps, root: string): Promise<DoctorReport> {
  const problems: string[] = [];
  const checked: string[] = [];
  const name = (fn: string) => `${SERVICE}-${stage}-${fn}`;
  const ingest = await deps.functionEnv(name('ingest'));
  if (!ingest)
    return {
      problems: [
        `${name('ingest')}: no such function here; deploy the stage first (npx serverless deploy --stage ${stage})`,
      ],
      checked,
    };
  const workers = (parseChannels(ingest.CHANNELS) ?? []).map((p) => p.id);
  const fns = ['ingest', 'web', 'gates', 'interactions', 'status', ...workers];
  const envs = new Map<string, Record<string, string>>();
  for (const fn of fns) {
    const env = fn === 'ingest' ? ingest : await deps.functionEnv(name(fn));
    if (env) envs.set(fn, env);
    else problems.push(`${name(fn)}: no such function (CHANNELS names it): redeploy the stage`);
  }

  // Every parameter a function will read.
  const wanted = new Set([...envs.values()].flatMap((env) => secretParams(env).map((s) => s.param)));
  const apiParam = `/${SERVICE}/${stage}/api-url`;
  let values: Record<string, string | undefined>;
  try {
    values = await deps.parameters([...wanted, apiParam]);
  } catch (err) {
    return {
      problems: [...problems, `SSM: cannot read the stage's parameters: ${(err as Error).name}`],
      checked,
    };
  }
  checked.push(`${wanted.size} SSM parameters, ${[...wanted].filter((p) => values[p]).length} of them set`);

  const routingEvents = eventsFrom(resolve(root, 'events/flagger-events.jsonl'));
  for (const [fn, deployed] of envs) {
    const env: Env = { ...deployed };
    const missing = new Map<string, string>();
    for (const { name: variable, param } of secretParams(deployed)) {
      const value = values[param];
      if (value) env[variable] = value;
      else missing.set(variable, param);
    }
    const hint = (message: string) => {
      const variable = /^([A-Z][A-Z0-9_]*):/.exec(message)?.[1];
      const param = variable && missing.get(variable);
      return param ? `${message} (SSM parameter ${param} does not exist)` : message;
    };
    try {
      await checkFunction(fn, env, routingEvents);
    } catch (err) {
      problems.push(`${name(fn)}: ${hint(errorText(err))}`);
      continue;
    }
    checked.push(`${name(fn)}: its configuration loads`);
  }

  // The front door: an event without the token is refused.
  const api = values[apiParam];
  if (!api) problems.push(`SSM parameter ${apiParam}: missing (the stack writes it): cannot find the API`);
  else {
    const sample = readFileSync(resolve(root, 'events/flagger-events.jsonl'), 'utf8').split('\n')[0] ?? '';
    try {
      const status = await deps.post(`${api.replace(/\/+$/, '')}/events`, sample);
      if (status === 401) checked.push('the API refuses an event without a token (401)');
      else
        problems.push(`POST /events without a token answered ${status}, not 401: anyone could send events`);
    } catch (err) {
      problems.push(
        `the API at ${new URL(api).host} cannot be reached: ${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}`,
      );
    }
  }

  const alarms = await deps.alarms(`${SERVICE}-${stage}-`);
  for (const a of alarms.filter((x) => x.state === 'ALARM'))
    problems.push(
      `alarm ${a.name} is firing${/DeadLetters/.test(a.name) ? ` (npx flagger-notify dlq list --stage ${stage})` : /Stuck/.test(a.name) ? ': deliveries are waiting; the worker’s log says why' : ''}`,
    );
  checked.push(`${alarms.length} alarms, ${alarms.filter((x) => x.state === 'ALARM').length} firing`);
  return { problems, checked };
}

/** What the function itself loads at cold start, with the values it would read. */
async function checkFunction(fn: string, env: Env, events: ReturnType<typeof eventsFrom>): Promise<void> {
  const store = () => memoryRolloutStore();
  if (fn === 'ingest') {
    const config = await loadIngestConfig(env);
    // A routing file's templates are drawn by the workers: rendered here once for all of them
    // against every sample event, as check-config does.
    const problems = checkTemplates(config.routing, events);
    if (problems.length) throw new ConfigError(`CONFIG: template ${problems[0]}`);
    return;
  }
  if (fn === 'gates') return void loadAccess(env);
  if (fn === 'web') {
    loadLinks(env);
    pageApprovers(env);
    return;
  }
  if (fn === 'interactions')
    return void (env.SLACK_SIGNING_SECRET ? await slackDestinations(env) : undefined);
  if (fn === 'status') {
    for (const p of (parseChannels(env.CHANNELS) ?? []).filter((x) => x.scheduled))
      await loadDestinations(env, p, store);
    return;
  }
  const provider = providerById(fn);
  if (!provider) throw new ConfigError(`PROVIDER: unknown provider ${fn}`);
  await loadWorkerConfig(env, provider, store);
  loadLinks(env);
}

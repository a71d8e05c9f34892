import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { SERVICE } from '../infra/names';
import { providerStack } from '../infra/stack';
import { PROVIDERS } from '../providers/catalog';

/** The parts of serverless.yml the local pipeline mirrors: queues, their consumers and the HTTP route. */
export interface LocalQueueDef {
  logicalId: string;
  name: string;
  attributes: Record<string, string>;
  /** Logical id of the dead-letter queue and the receive count that moves a message there. */
  redrive?: { dlq: string; maxReceiveCount: number };
}

export interface LocalFunctionDef {
  name: string;
  /** e.g. `functions/slack` and `handler` for `functions/slack.handler`. */
  module: string;
  exportName: string;
  /** The event source mapping: batch size and how many batches may run at once. */
  sqs?: { queue: string; batchSize: number; maximumConcurrency: number };
  timeout?: number;
  environment?: Record<string, unknown>;
  /** HTTP API routes, e.g. `/events` and `/events/{route}`. */
  http?: { method: string; path: string }[];
}

export interface LocalServiceDef {
  queues: LocalQueueDef[];
  functions: LocalFunctionDef[];
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

// CloudFormation short forms as the objects the long forms would give.
const customTags = [
  { tag: '!Ref', resolve: (s: string) => ({ Ref: s }) },
  { tag: '!GetAtt', resolve: (s: string) => ({ 'Fn::GetAtt': s.split('.') }) },
  {
    tag: '!Join',
    collection: 'seq' as const,
    resolve: (seq: { toJSON(): unknown }) => ({ 'Fn::Join': seq.toJSON() }),
  },
  { tag: '!Sub', resolve: (s: string) => ({ 'Fn::Sub': s }) },
  ...['Not', 'Equals', 'If', 'And', 'Or'].map((fn) => ({
    tag: `!${fn}`,
    collection: 'seq' as const,
    resolve: (seq: { toJSON(): unknown }) => ({ [`Fn::${fn}`]: seq.toJSON() }),
  })),
];

/**
 * Resolves the few Serverless variables the resources use (`${self:service}`, `${sls:stage}`,
 * `${self:custom.*}`); anything else is an error rather than a silently wrong queue.
 */
function resolver(doc: Record<string, Json>, stage: string) {
  const lookup = (ref: string): Json => {
    if (ref === 'sls:stage') return stage;
    if (ref.startsWith('self:')) {
      let cur: Json = doc;
      for (const key of ref.slice(5).split('.')) {
        cur = cur && typeof cur === 'object' && !Array.isArray(cur) ? (cur[key] ?? null) : null;
      }
      if (cur !== null) return cur;
    }
    throw new Error(`serverless.yml: the local pipeline cannot resolve \${${ref}}`);
  };
  const resolve = (v: Json): Json => {
    if (typeof v === 'string') {
      const whole = v.match(/^\$\{([^}]+)\}$/);
      if (whole?.[1]) return resolve(lookup(whole[1]));
      return v.replace(/\$\{([^}]+)\}/g, (_, ref: string) => String(resolve(lookup(ref))));
    }
    if (Array.isArray(v)) return v.map(resolve);
    if (v && typeof v === 'object')
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolve(x)]));
    return v;
  };
  return resolve;
}

const getAttTarget = (v: Json): string | undefined =>
  v && typeof v === 'object' && !Array.isArray(v) && Array.isArray(v['Fn::GetAtt'])
    ? String(v['Fn::GetAtt'][0])
    : undefined;

/** serverless.yml may list `functions` and `resources` as arrays of maps; `${file(…)}` items are skipped. */
const merged = (v: Json | undefined): Record<string, Json> =>
  Array.isArray(v)
    ? Object.assign({}, ...v.filter((x) => x && typeof x === 'object' && !Array.isArray(x)))
    : ((v ?? {}) as Record<string, Json>);

/**
 * serverless.yml's own functions and resources plus `generated` (lib/infra's output for the
 * providers, which serverless.yml pulls in through `${file(./infra/providers.cjs)}`).
 */
export function readServiceDef(
  file: string,
  stage: string,
  generated: { functions: Record<string, unknown>; resources: Record<string, unknown> } = {
    functions: {},
    resources: {},
  },
): LocalServiceDef {
  const doc = parse(readFileSync(file, 'utf8'), { customTags }) as Record<string, Json>;
  const resolve = resolver(doc, stage);
  const resources = {
    ...merged(merged(doc.resources as Json).Resources),
    ...(generated.resources as Record<string, Json>),
  };
  const ownFunctions = merged(doc.functions as Json);
  const functionDefs: Record<string, Json> = { ...(generated.functions as Record<string, Json>) };
  for (const [name, f] of Object.entries(ownFunctions)) {
    functionDefs[name] = { ...((functionDefs[name] as object) ?? {}), ...(f as object) } as Json;
  }

  const queues: LocalQueueDef[] = [];
  for (const [logicalId, raw] of Object.entries(resources)) {
    const r = raw as { Type?: string; Properties?: Json };
    if (r.Type !== 'AWS::SQS::Queue') continue;
    const { QueueName, RedrivePolicy, ...props } = resolve(r.Properties ?? {}) as Record<string, Json>;
    const attributes: Record<string, string> = {};
    for (const [k, v] of Object.entries(props)) {
      // Encryption and tags mean nothing to an in-memory emulator.
      if (typeof v !== 'object' && k !== 'SqsManagedSseEnabled') attributes[k] = String(v);
    }
    const rp = RedrivePolicy as Record<string, Json> | undefined;
    const dlq = rp && getAttTarget(rp.deadLetterTargetArn ?? null);
    queues.push({
      logicalId,
      name: String(QueueName),
      attributes,
      ...(dlq ? { redrive: { dlq, maxReceiveCount: Number(rp?.maxReceiveCount) } } : {}),
    });
  }

  const functions: LocalFunctionDef[] = [];
  for (const [name, raw] of Object.entries(functionDefs)) {
    const f = raw as { handler?: string; events?: Record<string, Json>[] };
    if (!f.handler) continue;
    const dot = f.handler.lastIndexOf('.');
    const def: LocalFunctionDef = {
      name,
      module: f.handler.slice(0, dot),
      exportName: f.handler.slice(dot + 1),
      ...(typeof (f as { timeout?: unknown }).timeout === 'number'
        ? { timeout: (f as { timeout: number }).timeout }
        : {}),
      environment: ((f as { environment?: Record<string, unknown> }).environment ?? {}) as Record<
        string,
        unknown
      >,
    };
    for (const ev of f.events ?? []) {
      const sqs = ev.sqs as Record<string, Json> | undefined;
      const queue = sqs && getAttTarget(sqs.arn ?? null);
      if (queue)
        def.sqs = {
          queue,
          batchSize: Number(resolve(sqs.batchSize ?? 10)),
          // Lambda's default for an SQS mapping without a cap is the account's concurrency; 1000 here.
          maximumConcurrency: Number(resolve(sqs.maximumConcurrency ?? 1000)),
        };
      const http = ev.httpApi as Record<string, Json> | undefined;
      if (http) def.http = [...(def.http ?? []), { method: String(http.method), path: String(http.path) }];
    }
    functions.push(def);
  }
  return { queues, functions };
}

/** What `npm start` runs: serverless.yml plus the generated resources of every provider, stage `local`. */
export function localServiceDef(file: string, env: Record<string, string | undefined> = process.env) {
  const stack = providerStack({
    service: SERVICE,
    stage: 'local',
    providers: PROVIDERS,
    env,
    configParam: '',
  });
  return readServiceDef(file, 'local', stack);
}

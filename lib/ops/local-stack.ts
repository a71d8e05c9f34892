import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';

/** Where `npm start` writes the addresses it listens on (git-ignored), for the local tools to find. */
export const LOCAL_STACK_FILE = '.flagger-notify-local.json';

export interface LocalStack {
  /** npm start's API and inbox, e.g. http://127.0.0.1:3000 */
  api: string;
  /** Its SQS endpoint (the embedded emulator's, or the one given). */
  sqs: string;
  pid: number;
}

export interface FoundStack {
  api: string;
  sqs: string;
  /** Where the addresses came from, to say so when nothing answers there. */
  from: 'variables' | 'file' | 'defaults';
}

/** The directory of the record: the working directory, or LOCAL_STACK_DIR (tests run several stacks). */
export const localStackDir = (env: Record<string, string | undefined>, cwd = process.cwd()) =>
  env.LOCAL_STACK_DIR || cwd;

/** Written once npm start serves; the file names addresses only, never a token. */
export function recordLocalStack(dir: string, stack: LocalStack): void {
  writeFileSync(join(dir, LOCAL_STACK_FILE), `${JSON.stringify(stack, null, 2)}\n`, { mode: 0o600 });
}

/** Removed when npm start stops, if it is still this process's record. */
export function forgetLocalStack(dir: string, pid: number): void {
  const found = readRecord(dir);
  if (found?.pid === pid) rmSync(join(dir, LOCAL_STACK_FILE), { force: true });
}

function readRecord(dir: string): LocalStack | undefined {
  try {
    const r = JSON.parse(readFileSync(join(dir, LOCAL_STACK_FILE), 'utf8')) as Partial<LocalStack>;
    return typeof r.api === 'string' && typeof r.sqs === 'string' && typeof r.pid === 'number'
      ? (r as LocalStack)
      : undefined;
  } catch {
    return undefined;
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it runs, as another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Where npm start listens: PORT / SQS_PORT (or SQS_ENDPOINT) when set, else what a running npm
 * start recorded in this directory, else its defaults (3000, 9324).
 */
export function findLocalStack(env: Record<string, string | undefined>, cwd = process.cwd()): FoundStack {
  const record = readRecord(localStackDir(env, cwd));
  const live = record && alive(record.pid) ? record : undefined;
  const set = Boolean(env.PORT || env.SQS_PORT || env.SQS_ENDPOINT);
  const api = env.PORT ? `http://127.0.0.1:${env.PORT}` : (live?.api ?? 'http://127.0.0.1:3000');
  const sqs =
    env.SQS_ENDPOINT ??
    (env.SQS_PORT ? `http://127.0.0.1:${env.SQS_PORT}` : (live?.sqs ?? 'http://127.0.0.1:9324'));
  return { api, sqs, from: set ? 'variables' : live ? 'file' : 'defaults' };
}

const FROM: Record<FoundStack['from'], string> = {
  variables: 'as PORT / SQS_PORT say',
  file: `as ${LOCAL_STACK_FILE} says`,
  defaults: 'the default: no npm start has recorded itself in this directory',
};

/** What to say when nothing answers where npm start was looked for, naming the variable to set. */
export function unreachable(found: FoundStack, what: 'api' | 'sqs', cause: string): string {
  const where = what === 'api' ? found.api : found.sqs;
  const variable = what === 'api' ? 'PORT' : 'SQS_PORT';
  return `cannot reach npm start at ${where} (${FROM[found.from]}): ${cause}. Is it running? Start it with npm start in this directory, or set ${variable} to the port its banner shows.`;
}

/** npm start's ingest token as the tools see it: INGEST_TOKEN, else the one in this directory's .env. */
export function localToken(env: Record<string, string | undefined>, cwd = process.cwd()): string | undefined {
  if (env.INGEST_TOKEN) return env.INGEST_TOKEN;
  try {
    return parseEnv(readFileSync(join(cwd, '.env'), 'utf8')).INGEST_TOKEN || undefined;
  } catch {
    return undefined;
  }
}

import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';

/** A packaged function as the template declares it, unzipped into `dir`. */
export interface FunctionSpec {
  /** The template's logical id, e.g. `SlackLambdaFunction`. */
  id: string;
  name: string;
  handler: string;
  role: string;
  timeoutSeconds: number;
  memoryMb: number;
  dir: string;
  /** The template's Environment.Variables, resolved. */
  environment: Record<string, string>;
}

export interface InvokeError {
  errorType: string;
  errorMessage: string;
}

export interface RunningFunction {
  spec: FunctionSpec;
  /** Lambda's synchronous invoke: the handler's result, or its error as Lambda reports it. */
  invoke(event: unknown): Promise<{ result: unknown } | { error: InvokeError }>;
  /** The environment variables the function's code has read so far. */
  reads(): Promise<string[]>;
  /** Everything it printed (its CloudWatch log). */
  output(): string;
  stop(): Promise<void>;
}

export interface RuntimeOptions {
  region: string;
  /** Where every AWS SDK call goes (the IAM-checking endpoint). */
  awsEndpoint: string;
  credentials: (role: string) => { accessKeyId: string; secretAccessKey: string };
  /** A folder whose node_modules holds what Lambda's runtime provides: the AWS SDK v3. */
  runtimeModules: string;
  /** Variables of the machine rather than the template (NODE_EXTRA_CA_CERTS for a test's TLS stand-ins). */
  machineEnv?: Record<string, string>;
  log?: (fn: string, line: string) => void;
}

const BOOTSTRAP = join(import.meta.dirname, 'bootstrap.cjs');

/**
 * One execution environment per function, in its own Node process (this Node, the runtime's
 * version): the template's variables plus the ones Lambda defines, credentials of the function's
 * own role, and nothing from this process's environment. Invocations run one at a time, as in a
 * Lambda execution environment; one that outlives the function's timeout is answered
 * "Task timed out" and the environment is replaced, as Lambda does.
 */
export function startFunction(
  spec: FunctionSpec,
  o: RuntimeOptions,
  /** Started on its first invocation (Lambda adds an environment when a second batch needs one). */
  lazy = false,
): RunningFunction {
  let child: ChildProcess | undefined;
  let ready: Promise<void> | undefined;
  let log = '';
  let seq = 0;
  const waiting = new Map<number, (m: Record<string, unknown>) => void>();
  const { accessKeyId, secretAccessKey } = o.credentials(spec.role);
  const lambdaEnv = {
    _HANDLER: spec.handler,
    LAMBDA_TASK_ROOT: spec.dir,
    AWS_REGION: o.region,
    AWS_DEFAULT_REGION: o.region,
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
    AWS_LAMBDA_FUNCTION_NAME: spec.name,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(spec.memoryMb),
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${spec.name}`,
    AWS_LAMBDA_LOG_STREAM_NAME: 'local/[$LATEST]packaged',
    AWS_ACCESS_KEY_ID: accessKeyId,
    AWS_SECRET_ACCESS_KEY: secretAccessKey,
    AWS_SESSION_TOKEN: 'local-session',
    // Not a Lambda variable: the SDK's own setting for "send every service's calls here".
    AWS_ENDPOINT_URL: o.awsEndpoint,
    NODE_PATH: join(o.runtimeModules, 'node_modules'),
    PATH: '/usr/local/bin:/usr/bin:/bin',
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
  };
  const spawn = () => {
    const c = fork(BOOTSTRAP, [], {
      cwd: spec.dir,
      execPath: process.execPath,
      // Not this process's flags (tsx, test loaders): the bundle runs on its own, as on Lambda.
      execArgv: [],
      // The template's NODE_OPTIONS (--enable-source-maps) applies, as Lambda applies it.
      env: { ...spec.environment, ...lambdaEnv, ...o.machineEnv },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    const take = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      log += text;
      for (const line of text.split('\n')) if (line) o.log?.(spec.name, line);
    };
    c.stdout?.on('data', take);
    c.stderr?.on('data', take);
    c.on('message', (m: Record<string, unknown>) => {
      const resolve = typeof m.id === 'number' ? waiting.get(m.id) : undefined;
      if (resolve) {
        waiting.delete(m.id as number);
        resolve(m);
      }
    });
    c.on('exit', (code, signal) => {
      // Lambda reports a crashed environment to the invoker, then starts a new one.
      for (const [id, resolve] of waiting) {
        waiting.delete(id);
        resolve({ error: { errorType: 'Runtime.ExitError', errorMessage: `exited (${signal ?? code})` } });
      }
      if (child === c) {
        child = undefined;
        ready = undefined;
      }
    });
    child = c;
    ready = new Promise<void>((resolve) => {
      c.once('message', () => resolve());
      c.once('exit', () => resolve());
    });
    return ready;
  };
  const ask = async (m: Record<string, unknown>, timeoutMs?: number): Promise<Record<string, unknown>> => {
    if (!child) await spawn();
    else await ready;
    const c = child;
    if (!c)
      return { error: { errorType: 'Runtime.ExitError', errorMessage: 'the runtime exited during init' } };
    const id = ++seq;
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      waiting.set(id, (answer) => {
        clearTimeout(timer);
        resolve(answer);
      });
      if (timeoutMs)
        timer = setTimeout(() => {
          waiting.delete(id);
          c.kill('SIGKILL');
          resolve({
            error: {
              errorType: 'Sandbox.Timedout',
              errorMessage: `Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`,
            },
          });
        }, timeoutMs);
      c.send({ ...m, id });
    });
  };
  let queue: Promise<unknown> = lazy ? Promise.resolve() : spawn();
  return {
    spec,
    invoke(event) {
      const run = queue.then(async () => {
        const timeoutMs = spec.timeoutSeconds * 1000;
        const answer = await ask(
          {
            type: 'invoke',
            event,
            timeoutMs,
            requestId: randomUUID(),
            functionArn: `arn:aws:lambda:${o.region}:000000000000:function:${spec.name}`,
          },
          timeoutMs,
        );
        return answer.error ? { error: answer.error as InvokeError } : { result: answer.result };
      });
      queue = run.catch(() => {});
      return run;
    },
    async reads() {
      if (lazy && !child) return [];
      const answer = await ask({ type: 'reads' });
      return (answer.reads as string[]) ?? [];
    },
    output: () => log,
    async stop() {
      const c = child;
      child = undefined;
      if (!c || c.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        c.once('exit', () => resolve());
        c.kill('SIGTERM');
      });
    },
  };
}

// `npm start`'s command as a child process: for the tests (through ./pipeline.ts) and the bench,
// so it imports nothing of vitest.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');

/** `npm start`'s command, on free ports, with loopback receivers as Slack and Teams. */
export async function startPipeline(env: Record<string, string>) {
  // Each stack records where it listens in its own directory, not in the checkout.
  const dir = mkdtempSync(join(tmpdir(), 'npm-start-'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/local.ts'], {
    cwd: root,
    env: {
      ...process.env,
      PORT: '0',
      SQS_PORT: '0',
      POWERTOOLS_LOG_LEVEL: 'INFO',
      // Short delays keep the test fast; pacing and backoff themselves are tested in worker.test.ts.
      MIN_INTERVAL_MS: '20',
      // Every event, not milestones, unless a test says otherwise: these count each one through.
      EVENTS: 'all',
      RETRY_BASE_SECONDS: '1',
      RETRY_CAP_SECONDS: '1',
      LOCAL_STACK_DIR: dir,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((ok, fail) => {
    const onData = (d: Buffer) => {
      output += d;
      const m = output.match(/ingest +(http:\/\/127\.0\.0\.1:\d+\/events)/);
      if (m?.[1]) ok(m[1]);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => fail(new Error(`pipeline exited with ${code}:\n${output}`)));
  });
  return { child, url, dir, output: () => output };
}

export async function stop(child: ChildProcess | undefined) {
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

// npm start on ports of its choosing: the demo and the CLI find it with no other setting, and
// when nothing answers (or a port is taken) the message names the variable to set.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main as cli } from '../../lib/ops/cli';
import { findLocalStack, LOCAL_STACK_FILE, localToken, unreachable } from '../../lib/ops/local-stack';
import { pipeline, until } from '../helpers/pipeline';

const root = resolve(import.meta.dirname, '../..');

async function run(argv: string[], env: Record<string, string>, cwd: string) {
  const lines: string[] = [];
  const code = await cli(argv, { out: (l) => lines.push(l), err: (l) => lines.push(l), env, cwd });
  return { code, out: lines.join('\n') };
}

describe('finding npm start', () => {
  it('takes PORT / SQS_PORT first, then a live npm start’s record, then the defaults', () => {
    const dir = mkdtempSync(join(tmpdir(), 'find-'));
    expect(findLocalStack({}, dir)).toEqual({
      api: 'http://127.0.0.1:3000',
      sqs: 'http://127.0.0.1:9324',
      from: 'defaults',
    });
    const record = { api: 'http://127.0.0.1:4100', sqs: 'http://127.0.0.1:4200', pid: process.pid };
    writeFileSync(join(dir, LOCAL_STACK_FILE), JSON.stringify(record));
    expect(findLocalStack({}, dir)).toEqual({ api: record.api, sqs: record.sqs, from: 'file' });
    expect(findLocalStack({ PORT: '4300' }, dir)).toMatchObject({
      api: 'http://127.0.0.1:4300',
      from: 'variables',
    });
    expect(findLocalStack({ LOCAL_STACK_DIR: tmpdir() }, dir).from).toBe('defaults');
    // A record left by a process that is gone is not believed.
    writeFileSync(join(dir, LOCAL_STACK_FILE), JSON.stringify({ ...record, pid: 2 ** 22 + 1 }));
    expect(findLocalStack({}, dir).from).toBe('defaults');
  });

  it('says where it looked and which variable moves it', () => {
    const found = findLocalStack({}, mkdtempSync(join(tmpdir(), 'find-')));
    expect(unreachable(found, 'api', 'connect ECONNREFUSED 127.0.0.1:3000')).toBe(
      'cannot reach npm start at http://127.0.0.1:3000 (the default: no npm start has recorded itself in this directory): connect ECONNREFUSED 127.0.0.1:3000. Is it running? Start it with npm start in this directory, or set PORT to the port its banner shows.',
    );
    expect(unreachable(found, 'sqs', 'x')).toContain('set SQS_PORT to the port its banner shows');
  });

  it('reads the ingest token from INGEST_TOKEN, else from .env, as npm start does', () => {
    const dir = mkdtempSync(join(tmpdir(), 'find-'));
    expect(localToken({}, dir)).toBeUndefined();
    writeFileSync(join(dir, '.env'), 'INGEST_TOKEN=from-dot-env-0123456789\n');
    expect(localToken({}, dir)).toBe('from-dot-env-0123456789');
    expect(localToken({ INGEST_TOKEN: 'set' }, dir)).toBe('set');
  });

  it('npm start on other ports: the demo, dlq list and gate status work with no setting', async () => {
    const p = await pipeline({ DEMO_SPACING_MS: '5' });
    const record = join(p.dir, LOCAL_STACK_FILE);
    expect(await until(() => existsSync(record))).toBe(true);
    const stack = JSON.parse(readFileSync(record, 'utf8'));
    expect(stack.api).toBe(p.url.replace(/\/events$/, ''));
    const env = { LOCAL_STACK_DIR: p.dir };
    const demo = spawn(process.execPath, ['--import', 'tsx', 'scripts/demo.ts'], {
      cwd: root,
      env: {
        ...process.env,
        PORT: '',
        SQS_PORT: '',
        ...env,
        DEMO_SPACING_MS: '5',
        DEMO_GATE_INTERVAL_MS: '50',
        DEMO_GATE_WAIT_SECONDS: '1',
      },
    });
    let said = '';
    demo.stdout.on('data', (d) => {
      said += d;
    });
    demo.stderr.on('data', (d) => {
      said += d;
    });
    expect(await new Promise((r) => demo.once('exit', r))).toBe(0);
    expect(said).toMatch(/demo: \d+ sample events sent/);
    // It says when it stops waiting, and why.
    expect(said).toContain(
      'demo: stopped waiting for shipping.demo after 1 s without an approval or a rollback',
    );
    expect(await run(['dlq', 'list'], env, root)).toMatchObject({
      code: 0,
      out: expect.stringMatching(/^flagger-notify-local-dlq\.fifo: 0 dead letters/),
    });
    expect(await run(['gate', 'status', 'shop/checkout'], env, root)).toEqual({
      code: 0,
      out: 'gate: closed for checkout.shop\nrollback: closed for checkout.shop',
    });
    // Stopped, it removes its record; the tools then say where they looked and what to set.
    p.child.kill('SIGTERM');
    expect(await until(() => !existsSync(record), 10_000)).toBe(true);
    // (A port known closed, not 3000: something else may listen there on this machine.)
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as { port: number }).port;
    await new Promise((r) => closed.close(r));
    const gone = await run(['gate', 'status', 'shop/checkout'], { ...env, PORT: String(port) }, root);
    expect(gone.code).toBe(1);
    expect(gone.out).toContain(`cannot reach npm start at http://127.0.0.1:${port} (as PORT / SQS_PORT say)`);
    expect(gone.out).toContain('set PORT to the port its banner shows');
    expect(findLocalStack(env).from).toBe('defaults');
  }, 90_000);

  it('a taken port says which variable to set', async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = (taken.address() as { port: number }).port;
    try {
      await expect(pipeline({ PORT: String(port) })).rejects.toThrow(
        new RegExp(`port ${port} on 127\\.0\\.0\\.1 is taken \\(PORT\\): set PORT to a free port`),
      );
      await expect(pipeline({ SQS_PORT: String(port) })).rejects.toThrow(
        /is taken \(SQS_PORT\): set SQS_PORT/,
      );
    } finally {
      taken.close();
    }
  }, 60_000);
});

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixtureLines } from '../helpers/fixtures';

const root = resolve(import.meta.dirname, '../..');

/** A POST to the packaged API, trusting the run's own certificate as `curl --cacert` would. */
const post = (url: string, body: string, ca: Buffer) =>
  new Promise<number>((ok, fail) => {
    const req = request(
      url,
      { method: 'POST', ca, headers: { 'content-type': 'application/json' } },
      (res) => {
        res.resume();
        res.on('end', () => ok(res.statusCode ?? 0));
      },
    );
    req.on('error', fail);
    req.end(body);
  });

describe('LOCAL_PACKAGED=1 npm start', () => {
  it('runs the packaged bundles: an event through the https API reaches the inbox, and no call is denied', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/local.ts'], {
      cwd: root,
      env: { ...process.env, LOCAL_PACKAGED: '1', PORT: '0', CHANNELS: 'slack,webhook' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => {
      output += d;
    });
    child.stderr.on('data', (d) => {
      output += d;
    });
    let exited = '';
    child.once('exit', (code, signal) => {
      exited = `exited with ${signal ?? code}`;
    });
    const field = (name: string) => new RegExp(`^  ${name} +(\\S+)`, 'm').exec(output)?.[1];
    // Packaging and 18 cold starts share two cores with the rest of the suite: a generous wait.
    const deadline = Date.now() + 240_000;
    while (!field('inbox') && Date.now() < deadline && !exited) await new Promise((r) => setTimeout(r, 200));
    expect(field('inbox'), `${output}\n${exited}`).toBeDefined();
    const ca = readFileSync(String(/--cacert (\S+)\)/.exec(output)?.[1]));
    const api = String(field('api'));
    expect(await post(api, fixtureLines[0] as string, ca)).toBe(401);
    const token = readFileSync(String(field('token')), 'utf8');
    expect(output).not.toContain(token);
    expect(await post(`${api}?token=${token}`, fixtureLines[0] as string, ca)).toBe(202);
    let items: { provider: string }[] = [];
    while (items.length < 2 && Date.now() < deadline) {
      items = (await (await fetch(`${field('inbox')}inbox/messages`)).json()) as { provider: string }[];
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(items.map((i) => i.provider).sort()).toEqual(['slack', 'webhook']);
    const ended = new Promise((r) => child.once('exit', r));
    child.kill('SIGINT');
    await ended;
    expect(output).toContain('[packaged] AWS calls by role');
    expect(output).toMatch(/IngestRole +ssm:GetParameters ×\d+, sqs:SendMessage ×2/);
    expect(output).toContain('  denied: none');
  }, 300_000);
});

// `flagger-notify teams-manifest`: the Teams app package a user uploads, checked with unzip and
// by reading what is inside, as Teams would.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main as cli } from '../../lib/ops/cli';
import { crc32 } from '../../lib/ops/zip';

const APP = '00000000-0000-4000-8000-00000000b07e';
const run = async (...argv: string[]) => {
  const lines: string[] = [];
  const code = await cli(argv, { out: (l) => lines.push(l), err: (l) => lines.push(l), env: {} });
  return { code, out: lines.join('\n') };
};

describe('flagger-notify teams-manifest', () => {
  it('writes a zip with the manifest for the bot and its two icons, which unzip tests clean', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'teams-')), 'app.zip');
    expect((await run('teams-manifest', '--app-id', APP, '--out', out)).code).toBe(0);
    expect(execFileSync('unzip', ['-t', out], { encoding: 'utf8' })).toContain('No errors detected');
    expect(execFileSync('unzip', ['-Z1', out], { encoding: 'utf8' }).trim().split('\n')).toEqual([
      'manifest.json',
      'color.png',
      'outline.png',
    ]);
    const manifest = JSON.parse(execFileSync('unzip', ['-p', out, 'manifest.json'], { encoding: 'utf8' }));
    expect(manifest).toMatchObject({
      manifestVersion: '1.17',
      id: APP,
      icons: { color: 'color.png', outline: 'outline.png' },
      bots: [{ botId: APP, scopes: ['team', 'groupChat'] }],
    });
    // Teams asks for a 192 px colour icon and a 32 px outline: PNG headers say so.
    for (const [file, size] of [
      ['color.png', 192],
      ['outline.png', 32],
    ] as const) {
      const png = execFileSync('unzip', ['-p', out, file]);
      expect(png.subarray(1, 4).toString()).toBe('PNG');
      expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([size, size]);
    }
    // The same app id always makes the same package.
    const again = join(mkdtempSync(join(tmpdir(), 'teams-')), 'app.zip');
    await run('teams-manifest', '--app-id', APP, '--out', again);
    expect(readFileSync(again).equals(readFileSync(out))).toBe(true);
  });

  it('refuses an app id that is not a GUID and a website that is not https', async () => {
    expect(await run('teams-manifest', '--app-id', 'my-bot')).toMatchObject({
      code: 2,
      out: expect.stringMatching(/^usage: flagger-notify teams-manifest --app-id/),
    });
    expect(await run('teams-manifest', '--app-id', APP, '--website', 'http://x')).toEqual({
      code: 2,
      out: '--website: must be an https URL',
    });
  });

  it('computes CRC-32 as zip and PNG define it', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
  });
});

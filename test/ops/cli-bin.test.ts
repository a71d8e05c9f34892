import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const run = (...args: string[]) =>
  execFileSync(process.execPath, [resolve(root, 'bin/flagger-notify.mjs'), ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '' },
  });

describe('the flagger-notify command', () => {
  it('runs as compiled JavaScript without tsx', () => {
    const out = run('check-config', 'docs/examples/one-channel.yaml');
    expect(out).toContain('docs/examples/one-channel.yaml: valid');
  });

  it('imports nothing but Node built-ins and production dependencies', () => {
    run('--help');
    const dist = readFileSync(resolve(root, 'dist/flagger-notify.mjs'), 'utf8');
    const pkg = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const bare = [...dist.matchAll(/(?:from |import\()"([^".][^"]*)"/g)].map((m) => m[1] as string);
    const packages = new Set(
      bare
        .filter((s) => !s.startsWith('node:'))
        .map((s) => (s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : (s.split('/')[0] as string))),
    );
    expect(packages.size).toBeGreaterThan(0);
    for (const p of packages) expect(Object.keys(pkg.dependencies)).toContain(p);
  });
});

// The layer rules of `npm run lint` (.dependency-cruiser.cjs) catch what they promise: an upward
// import and a cycle, in a throwaway tree shaped like lib/.
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const run = promisify(execFile);

async function cruise(files: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'layers-'));
  cpSync(join(root, '.dependency-cruiser.cjs'), join(dir, '.dependency-cruiser.cjs'));
  cpSync(join(root, 'tsconfig.json'), join(dir, 'tsconfig.json'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  const bin = join(root, 'node_modules/.bin/depcruise');
  try {
    const { stdout } = await run(
      bin,
      ['--config', '.dependency-cruiser.cjs', '--output-type', 'err', 'lib'],
      {
        cwd: dir,
      },
    );
    return { code: 0, out: stdout };
  } catch (err) {
    const e = err as { code: number; stdout: string };
    return { code: e.code, out: e.stdout };
  }
}

describe('npm run lint: layers that only point down', () => {
  it('accepts a downward import', async () => {
    const r = await cruise({
      'lib/event/event.ts': 'export const e = 1;\n',
      'lib/config/config.ts': "import { e } from '../event/event';\nexport const c = e;\n",
    });
    expect(r.code).toBe(0);
  }, 30_000);

  it('refuses an upward import, naming both modules', async () => {
    const r = await cruise({
      'lib/event/event.ts': "import type { C } from '../config/config';\nexport const e: C = 1;\n",
      'lib/config/config.ts': 'export type C = number;\n',
    });
    expect(r.code).not.toBe(0);
    expect(r.out).toContain('layer-1-points-down: lib/event/event.ts → lib/config/config.ts');
  }, 30_000);

  it('refuses a cycle inside one layer', async () => {
    const r = await cruise({
      'lib/infra/stack.ts': "import { b } from './status';\nexport const a = () => b;\n",
      'lib/infra/status.ts': "import { a } from './stack';\nexport const b = () => a;\n",
    });
    expect(r.code).not.toBe(0);
    expect(r.out).toContain('no-cycles');
  }, 30_000);

  it('reads the TypeScript it checks: no "missing transpiler" warning on this tree', async () => {
    const { stdout, stderr } = await run(
      join(root, 'node_modules/.bin/depcruise'),
      ['--config', '.dependency-cruiser.cjs', 'lib', 'functions'],
      { cwd: root },
    );
    expect(`${stdout}${stderr}`).not.toMatch(/missing-tsc-transpiler|likely to have missed/);
    expect(stdout).toMatch(/no dependency violations found \(\d+ modules, \d+ dependencies cruised\)/);
  }, 60_000);
});

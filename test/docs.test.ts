// The README and docs/ stay true: short enough to read, links that resolve, and the commands they
// show either run here (the smoke test, flagger-notify's command lines, npm scripts) or name
// files and scripts that exist.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { localServiceDef } from '../lib/local/serverless-config';
import { main as cli } from '../lib/ops/cli';
import { PROVIDERS } from '../lib/providers/catalog';
import { pipeline } from './helpers/pipeline';

const root = resolve(import.meta.dirname, '..');
const docs = [
  'README.md',
  ...readdirSync(join(root, 'docs'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.md'))
    .map((f) => join('docs', f)),
];
const text = (f: string) => readFileSync(join(root, f), 'utf8');
/** Shell blocks and inline code, where commands are shown. */
const code = (f: string) => [
  ...[...text(f).matchAll(/```(?:sh|bash)?\n([\s\S]*?)```/g)].map((m) => m[1] as string),
  ...[...text(f).matchAll(/`([^`\n]+)`/g)].map((m) => m[1] as string),
];
const slug = (h: string) =>
  h
    .toLowerCase()
    .replace(/[^\w\- ]/g, '')
    .replace(/ /g, '-');

describe('README and docs/', () => {
  it('keeps the README a ten-minute read (≤ 300 lines)', () => {
    expect(text('README.md').split('\n').length).toBeLessThanOrEqual(300);
  });

  it.each(docs)('%s: every relative link resolves (file and heading)', (f) => {
    // Links in prose; inline code (`[text](url)` shown as an example) is not a link.
    for (const [, target] of text(f)
      .replace(/`[^`\n]*`/g, '')
      .matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^(https?:|mailto:)/.test(target as string)) continue;
      const [path, anchor] = (target as string).split('#');
      const file = path ? join(dirname(f), path) : f;
      expect(existsSync(join(root, file)), `${f} → ${target}`).toBe(true);
      if (anchor && file.endsWith('.md')) {
        const headings = [...text(file).matchAll(/^#+ (.+)$/gm)].map((m) => slug(m[1] as string));
        expect(headings, `${f} → ${target}`).toContain(anchor);
      }
    }
  });

  it('names only npm scripts that exist', () => {
    const scripts = JSON.parse(text('package.json')).scripts as Record<string, string>;
    for (const f of docs)
      for (const c of code(f))
        for (const [, name] of c.matchAll(/npm run (?:-s )?([\w:-]+)/g))
          expect(scripts, `${f}: npm run ${name}`).toHaveProperty([name as string]);
  });

  it('names only files of the repository that exist (events/, docs/examples/)', () => {
    for (const f of docs)
      for (const c of code(f))
        for (const [path] of c.matchAll(/\b(?:events|docs\/examples)\/[\w.-]+\.(?:json|jsonl|yaml)\b/g))
          expect(existsSync(join(root, path)), `${f}: ${path}`).toBe(true);
  });

  it('shows only flagger-notify command lines the CLI accepts', async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'docs-cli-'));
    process.env.AWS_ACCESS_KEY_ID ??= 'test';
    process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
    const lines = docs.flatMap((f) =>
      code(f).flatMap((c) =>
        [...c.matchAll(/npx flagger-notify ([^\n`#|;&]+)/g)].map((m) => ({
          f,
          args: (m[1] as string).trim(),
        })),
      ),
    );
    expect(lines.length).toBeGreaterThan(5);
    for (const { f, args } of lines) {
      const argv = args.split(/\s+/).filter((a) => !a.startsWith('<') && a !== '…');
      // Never AWS, never a running npm start: an endpoint and a port nobody listens on; a usage
      // error exits 2, anything else got past parsing.
      const code = await cli([...argv, '--endpoint', 'http://127.0.0.1:1'], {
        out: () => {},
        err: () => {},
        // Nothing listens on port 1: a gate command fails to connect instead of opening a gate,
        // and a deployed stage's SSM is that port too.
        env: {
          PORT: '1',
          SSM_ENDPOINT: 'http://127.0.0.1:1',
          TEAMS_APP_ID: '00000000-0000-4000-8000-00000000b07e',
        },
        // Files a command writes (the Teams app package) land here, not in the checkout.
        cwd: scratch,
      });
      expect(code, `${f}: npx flagger-notify ${args}`).not.toBe(2);
    }
  }, 60_000);

  it('shows check-config output the command really prints (docs/routing.md)', async () => {
    const doc = text('docs/routing.md');
    const summary = doc.match(/```\n(\d+ events \(the sample rollouts\)[\s\S]*?)```/)?.[1];
    const verbose = doc.match(/```\n(checkout\.shop Failed[\s\S]*?)```/)?.[1];
    expect(summary).toBeDefined();
    expect(verbose).toBeDefined();
    const run = async (...extra: string[]) => {
      const out: string[] = [];
      const code = await cli(['check-config', 'docs/examples/per-team.yaml', ...extra], {
        out: (l) => out.push(l),
        err: () => {},
        env: {},
      });
      expect(code).toBe(0);
      return out.join('\n');
    };
    expect(await run()).toContain((summary as string).trim());
    expect(await run('--verbose')).toContain((verbose as string).trim());
  });

  it('the smoke test in "Point Flagger at it" queues a fresh event, twice in a row', async () => {
    const block = [...text('README.md').matchAll(/```sh\n([\s\S]*?)```/g)]
      .map((m) => m[1] as string)
      .find((b) => b.includes('events/smoke-event.json'));
    expect(block).toBeDefined();
    const p = await pipeline({ INGEST_TOKEN: 'docs-token-0123456789abcdef' });
    const local = (block as string).replace(/https:\/\/<api-id>[^"]+\/events/, p.url);
    const run = promisify(execFile);
    for (let i = 0; i < 2; i++) {
      const { stdout } = await run('bash', ['-c', local], {
        cwd: root,
        env: { ...process.env, TOKEN: 'docs-token-0123456789abcdef' },
      });
      expect(JSON.parse(stdout)).toMatchObject({ status: 'queued' });
      await new Promise((r) => setTimeout(r, 1100)); // a new second: a new timestamp
    }
  }, 60_000);
});

describe('the numbers and lists the docs give are the code’s', () => {
  // How each provider is named in prose (its catalog title, less its kind).
  const names = PROVIDERS.map((p) =>
    p.title
      .replace(/^Generic /, '')
      .replace(/ annotations$/, '')
      .toLowerCase(),
  );

  it('the banner’s queue count is npm start’s: one per provider and the DLQ', () => {
    const queues = localServiceDef(resolve(root, 'serverless.yml')).queues.length;
    expect(queues).toBe(PROVIDERS.length + 1);
    for (const doc of ['README.md', 'docs/local.md']) {
      const said = [...text(doc).matchAll(/embedded emulator, (\d+) queues/g)].map((m) => Number(m[1]));
      expect({ doc, said }).toEqual({ doc, said: [queues] });
    }
  });

  it('the README’s opening, its diagram and the package description name every provider', () => {
    const readme = text('README.md');
    const intro = readme.slice(0, readme.indexOf('```mermaid')).toLowerCase();
    const diagram = (readme.match(/```mermaid\n([\s\S]*?)```/)?.[1] ?? '').toLowerCase();
    const description = String(JSON.parse(text('package.json')).description).toLowerCase();
    for (const name of names) {
      expect({ name, intro: intro.includes(name) }).toEqual({ name, intro: true });
      expect({ name, diagram: diagram.includes(name.replace('microsoft ', '')) }).toEqual({
        name,
        diagram: true,
      });
      expect({ name, description: description.includes(name) }).toEqual({ name, description: true });
    }
  });

  it('claims no test duration it does not measure', () => {
    for (const doc of ['README.md', 'docs/tests.md', 'docs/local.md'])
      expect(text(doc)).not.toMatch(/(suite|npm test)[^.]*\babout (two|three|four|five|\d+) minutes/i);
  });
});

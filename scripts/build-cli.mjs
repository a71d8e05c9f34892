// Compiles the operator CLI (lib/ops/cli.ts) to dist/flagger-notify.mjs, so `flagger-notify`
// runs on plain Node with production dependencies only (no tsx). bin/flagger-notify.mjs calls it
// in a checkout; `npm pack` runs it first (prepack). Plain JavaScript: nothing else is built yet.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = resolve(import.meta.dirname, '..');

/** Builds dist/; without esbuild (a production-only install) keeps the dist/ it was packed with. */
export async function buildCli() {
  let esbuild;
  try {
    esbuild = await import('esbuild');
  } catch {
    return false;
  }
  await esbuild.build({
    entryPoints: [resolve(root, 'lib/ops/cli.ts')],
    outfile: resolve(root, 'dist/flagger-notify.mjs'),
    bundle: true,
    // Dependencies stay imports: they are the package's production dependencies.
    packages: 'external',
    format: 'esm',
    platform: 'node',
    target: 'node24',
    logLevel: 'warning',
  });
  return true;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href && !(await buildCli())) {
  console.error('build-cli: esbuild is not installed (npm ci installs it)');
  process.exit(1);
}

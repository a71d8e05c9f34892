import { join, resolve } from 'node:path';
import { build } from 'esbuild';

const root = resolve(import.meta.dirname, '..');

/**
 * Bundles `entry` as serverless.yml does for Lambda (minified CJS, the SDK left to the runtime, the
 * template engine beside it) into `outDir`.
 */
export async function lambdaBundle(entry: string, outDir: string, name: string): Promise<string> {
  const file = join(outDir, `${name}.cjs`);
  await build({
    entryPoints: [entry],
    outfile: file,
    bundle: true,
    minify: true,
    format: 'cjs',
    platform: 'node',
    target: 'node24',
    // Packaged beside the bundle, loaded only when a routing file (yaml) or templates (liquidjs) need them.
    external: ['@aws-sdk/*', 'yaml', 'liquidjs'],
    nodePaths: [join(root, 'node_modules')],
    logLevel: 'error',
  });
  return file;
}

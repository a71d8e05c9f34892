// The layers of lib/, lowest first (README "Layout"): a module may import its own layer and the
// ones below, never one above; no cycles anywhere. `npm run lint` runs this.
const LAYERS = [
  ['lib/errors.ts', 'lib/log.ts', 'lib/redact.ts', 'lib/env.ts', 'lib/zod.ts', 'lib/own.ts'],
  ['lib/event/'],
  ['lib/rollouts/', 'lib/stores/', 'lib/aws/'],
  ['lib/delivery/', 'lib/providers/'],
  ['lib/routing/', 'lib/config/'],
  ['lib/ingest/', 'lib/infra/', 'lib/web/'],
  ['lib/ops/'],
  ['lib/local/'],
  ['functions/', 'scripts/', 'bench/', 'bin/', 'infra/'],
];
const re = (paths) => `^(${paths.map((p) => p.replace(/[.]/g, '\\.')).join('|')})`;

module.exports = {
  forbidden: [
    ...LAYERS.slice(0, -1).map((layer, i) => ({
      name: `layer-${i}-points-down`,
      comment: `${layer.join(', ')} may not import from a layer above it`,
      severity: 'error',
      from: { path: re(layer) },
      to: { path: re(LAYERS.slice(i + 1).flat()) },
    })),
    {
      name: 'no-cycles',
      comment: 'modules that import each other, directly or through others',
      severity: 'error',
      from: { path: '^(lib|functions|scripts|bench|infra)/' },
      to: { circular: true },
    },
    {
      name: 'tests-stay-in-tests',
      comment: 'production code never imports a test helper',
      severity: 'error',
      from: { path: '^(lib|functions|infra)/' },
      to: { path: '^test/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist|\\.esbuild|\\.serverless)/' },
    // swc reads TypeScript (type-only imports included): dependency-cruiser cannot use the
    // typescript@7 compiler yet, and without a parser it would skip what it cannot read.
    parser: 'swc',
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.mjs', '.cjs', '.d.ts'] },
  },
};

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { secretParams } from '../../aws/secrets';
import type { Env } from '../../env';
import { PROVIDERS, type ProviderId, parseChannels } from '../../providers/catalog';
import { createInbox } from '../inbox';
import { STAND_INS } from '../stand-ins';
import { type PackagedStack, type PackagedStackOptions, startPackagedStack } from './stack';
import { ofType, type Template } from './template';
import { type Intercept, localCertificate, serveStandInsOverTls } from './tls-stand-ins';

const run = promisify(execFile);

export interface PackagedLocalOptions {
  /** The stage to package (any but `local`: the deployed rules apply). */
  stage?: string;
  /** Port of the stack's HTTP API (0: a free one). */
  port?: number;
  /** Deploy-time variables on top of the stand-ins' (CHANNELS, SLACK_APPROVERS, …). */
  deployEnv?: Record<string, string>;
  /**
   * More secrets for the SSM stand-in, at the names the template gives (CONFIG: a routing file),
   * made from the stand-ins' (a routing file names their URLs, as a deploy's names the real ones).
   */
  secrets?: (standIns: Readonly<Record<string, string>>) => Record<string, string>;
  /** Changes the packaged template before the stack starts (a test takes a grant away). */
  editTemplate?: (t: Template) => void;
  eventSources?: boolean;
  /** A test's misbehaving platform: answers some stand-in calls itself. */
  intercept?: Intercept;
  log?: (fn: string, line: string) => void;
  onCall?: PackagedStackOptions['onCall'];
}

/** Variables holding a secret: never given to `serverless package`, always read from SSM. */
const SECRET_VARIABLES = [
  'INGEST_TOKEN',
  'INGEST_TOKEN_PREVIOUS',
  'INGEST_CLUSTER_TOKENS',
  'LINK_SECRET',
  'SLACK_SIGNING_SECRET',
  'CONFIG',
  ...PROVIDERS.flatMap((p) => p.secrets),
];

/**
 * The packaged artefact, run as a deploy would run it: `serverless package` for a deployed stage
 * with every provider (or CHANNELS) pointed at the inbox's stand-ins over https, the secrets put
 * in the SSM stand-in at the parameter names the template gives, and the stack started from the
 * zips with the local IAM check (stack.ts). What `npm start` runs with PACKAGED=1, and the tests.
 */
export async function startPackagedLocal(root: string, o: PackagedLocalOptions = {}) {
  const stage = o.stage ?? 'packaged';
  const inbox = createInbox();
  const cert = localCertificate();
  cert.trust();
  const tls = await serveStandInsOverTls(inbox, cert, o.intercept);
  let stack: PackagedStack | undefined;
  try {
    const providers = parseChannels(o.deployEnv?.CHANNELS) ?? PROVIDERS;
    const deployEnv: Record<string, string> = {};
    const secrets: Record<string, string> = {
      INGEST_TOKEN: randomBytes(24).toString('hex'),
      LINK_SECRET: randomBytes(48).toString('base64'),
      SLACK_SIGNING_SECRET: randomBytes(16).toString('hex'),
    };
    for (const p of providers) {
      for (const [name, value] of Object.entries(STAND_INS[p.id as ProviderId].env(tls.base))) {
        // A deployed stage trusts only the Bot Framework's own issuer: no stand-in one here.
        if (name === 'TEAMS_OPENID_URL') continue;
        // A secret URL gets a part of its own, as a real webhook URL has: a leak of it is then
        // told apart from the stand-ins' other, public addresses.
        if (p.secrets.includes(name))
          secrets[name] = value.startsWith(tls.base) ? `${value}/k${randomBytes(8).toString('hex')}` : value;
        else deployEnv[name] = value;
      }
    }
    Object.assign(secrets, o.secrets?.(secrets));
    Object.assign(deployEnv, {
      CHANNELS: providers.map((p) => p.id).join(','),
      // The stand-ins' host, as a deployer lists a self-hosted Mattermost's.
      WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
      MIN_INTERVAL_MS: '0',
      ...o.deployEnv,
    });
    const env: Record<string, string | undefined> = { ...process.env, ...deployEnv };
    for (const name of SECRET_VARIABLES) delete env[name];
    const artifacts = mkdtempSync(join(tmpdir(), 'flagger-notify-package-'));
    // Bundled in a folder of its own: another packaging (a test, a deploy) may run meanwhile.
    env.ESBUILD_WORK_FOLDER = `.esbuild-${stage}-${randomBytes(4).toString('hex')}`;
    try {
      await run(
        process.execPath,
        [
          join(root, 'node_modules/osls/bin/serverless.js'),
          'package',
          '--stage',
          stage,
          '--package',
          artifacts,
        ],
        { cwd: root, env, timeout: 180_000 },
      );
    } catch (err) {
      const out = `${(err as { stdout?: string }).stdout ?? ''}${(err as { stderr?: string }).stderr ?? ''}`;
      throw new Error(`serverless package failed:\n${out.trim().split('\n').slice(-15).join('\n')}`);
    } finally {
      rmSync(join(root, env.ESBUILD_WORK_FOLDER), { recursive: true, force: true });
    }
    const file = join(artifacts, 'cloudformation-template-update-stack.json');
    const template = JSON.parse(readFileSync(file, 'utf8')) as Template;
    if (o.editTemplate) {
      o.editTemplate(template);
      writeFileSync(file, JSON.stringify(template));
    }
    // Each secret at the parameter its functions are told to read (`X_PARAM`), never in their environment.
    const parameters: Record<string, string> = {};
    for (const [, f] of ofType(template, 'AWS::Lambda::Function')) {
      const vars = (f.Properties.Environment as { Variables?: Record<string, unknown> })?.Variables ?? {};
      const env = Object.fromEntries(Object.entries(vars).filter(([, v]) => typeof v === 'string')) as Env;
      for (const { name, param } of secretParams(env)) {
        const secret = secrets[name];
        if (secret) parameters[param] = secret;
      }
    }
    stack = await startPackagedStack({
      artifacts,
      sdkModules: join(root, 'node_modules'),
      parameters,
      port: o.port,
      tls: cert,
      machineEnv: { NODE_EXTRA_CA_CERTS: cert.file },
      eventSources: o.eventSources,
      log: o.log,
      onCall: o.onCall,
    });
    const started = stack;
    return {
      stack: started,
      inbox,
      artifacts,
      secrets,
      deployEnv,
      token: secrets.INGEST_TOKEN as string,
      /** The run's certificate (PEM), for a client that must trust the local API. */
      certificate: cert.file,
      async stop() {
        await started.stop();
        await tls.close();
        inbox.close();
        cert.remove();
        rmSync(artifacts, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await stack?.stop();
    await tls.close();
    inbox.close();
    cert.remove();
    throw err;
  }
}
export type PackagedLocal = Awaited<ReturnType<typeof startPackagedLocal>>;

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getCACertificates, setDefaultCACertificates } from 'node:tls';
import type { Inbox } from '../inbox';

export interface LocalCertificate {
  key: Buffer;
  cert: Buffer;
  /** The certificate's file, for NODE_EXTRA_CA_CERTS. */
  file: string;
  remove(): void;
}

/**
 * A certificate for 127.0.0.1 made for this run by openssl: a deployed stage's functions post
 * only over https, and its API is https. The packaged functions trust it through
 * NODE_EXTRA_CA_CERTS (as a private CA would be trusted on Lambda); `trust()` makes this process
 * trust it too, for the tests' and tools' requests to the local API.
 */
export function localCertificate(): LocalCertificate & { trust(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'flagger-notify-tls-'));
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '2',
        '-subj',
        '/CN=flagger-notify local stand-ins',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-addext',
        'basicConstraints=critical,CA:TRUE',
      ],
      { stdio: 'ignore' },
    );
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(
      `openssl could not make the stand-ins' certificate (is openssl installed?): ${(err as Error).message}`,
    );
  }
  const pem = readFileSync(cert);
  return {
    key: readFileSync(key),
    cert: pem,
    file: cert,
    remove: () => rmSync(dir, { recursive: true, force: true }),
    trust: () => setDefaultCACertificates([...getCACertificates('default'), pem.toString('utf8')]),
  };
}

/** Answers a stand-in call itself (a test's misbehaving platform) and returns true, or leaves it. */
export type Intercept = (req: IncomingMessage, res: ServerResponse, body: string) => boolean;

/** The inbox's platform stand-ins over https on 127.0.0.1. */
export async function serveStandInsOverTls(inbox: Inbox, tls: LocalCertificate, intercept?: Intercept) {
  const server = createServer({ key: tls.key, cert: tls.cert }, async (req, res) => {
    const path = new URL(req.url ?? '/', 'https://127.0.0.1').pathname;
    if (!path.startsWith('/inbox/')) return res.writeHead(404).end();
    let body = '';
    for await (const chunk of req) body += chunk;
    if (intercept?.(req, res, body)) return;
    inbox.standIn(
      req.method ?? 'POST',
      path.slice('/inbox/'.length).split('/'),
      body,
      res,
      req.headers.authorization,
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    /** What the stand-ins' variables are built on (STAND_INS[…].env(base)). */
    base: `https://127.0.0.1:${(server.address() as AddressInfo).port}/inbox`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

import { buildApp } from 'fauxqs';

export interface Emulator {
  endpoint: string;
  port: number;
  close(): Promise<void>;
}

/**
 * The embedded SQS emulator. fauxqs's CLI and startFauxqs() listen on 0.0.0.0; buildApp + listen
 * keeps it on loopback, where nothing else on the network can post into the queues.
 */
export async function startEmulator(port: number, region: string): Promise<Emulator> {
  const app = buildApp({ logger: false, defaultRegion: region });
  await app.listen({ port, host: '127.0.0.1' });
  const addr = app.server.address();
  const actual = typeof addr === 'object' && addr ? addr.port : port;
  return { endpoint: `http://127.0.0.1:${actual}`, port: actual, close: () => app.close() };
}

import { createSqsClient } from '../../lib/aws/queue';
import { startEmulator } from '../../lib/local/emulator';

/** A fresh fauxqs on a free loopback port with a client pointed at it. */
export async function startSqs(region = 'us-east-1') {
  const emulator = await startEmulator(0, region);
  const sqs = createSqsClient({ region, endpoint: emulator.endpoint }, 25_000);
  return {
    emulator,
    sqs,
    close: async () => {
      sqs.destroy();
      await emulator.close();
    },
  };
}

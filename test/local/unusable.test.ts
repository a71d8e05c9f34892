import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startPipeline } from '../helpers/pipeline';

describe('npm start with a destination no worker could use', () => {
  it('refuses to start, naming file, line and field, before any event is accepted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'unusable-'));
    const file = join(dir, 'routing.yaml');
    writeFileSync(file, 'destinations:\n  ops:\n    type: slack-app\n    channel: C0123456789\n');
    const started = startPipeline({ CONFIG_FILE: file, SLACK_WEBHOOK_URL: '', TEAMS_WEBHOOK_URL: '' });
    const err = await started.then(
      () => undefined,
      (e: Error) => e.message,
    );
    expect(err).toContain('pipeline exited with 1');
    expect(err).toContain(`slack-app: ${file}: destinations.ops.token (line 3): is not set`);
    // The banner (with ingest's URL) is never printed: nothing was told it could send here.
    expect(err).not.toContain('/events');
  }, 30_000);
});

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadIngestConfig, loadWorkerConfig } from '../../lib/config/config';
import { ConfigError } from '../../lib/errors';
import { slack } from '../../lib/providers/slack';

const SECRET_URL = 'https://hooks.slack.com/services/T000/B000/SECRETSECRET';
// EVENTS=all: these destinations need no rollout state (that is tested on its own below).
const QUEUES = {
  SLACK_QUEUE_URL: 'http://q/slack.fifo',
  DLQ_URL: 'http://q/slack-dlq.fifo',
  EVENTS: 'all',
};

describe('ingest config', () => {
  it('queues to each provider whose queue URL is set', async () => {
    const c = await loadIngestConfig({ SLACK_QUEUE_URL: 'http://q/s.fifo' });
    expect(c.providers).toEqual([{ id: 'slack', queueUrl: 'http://q/s.fifo' }]);
    expect(c.sqs).toEqual({ region: 'us-east-1', endpoint: undefined });
  });

  it('narrows the providers with CHANNELS and treats empty strings as unset', async () => {
    const c = await loadIngestConfig({
      SLACK_QUEUE_URL: 'http://q/s.fifo',
      TEAMS_QUEUE_URL: 'http://q/t.fifo',
      CHANNELS: 'teams',
      INGEST_TOKEN: '',
      SQS_ENDPOINT: '',
    });
    expect(c.providers.map((x) => x.id)).toEqual(['teams']);
    expect(c.tokens).toEqual([]);
  });

  it.each([
    [{ CHANNELS: 'pager' }, /CHANNELS: unknown provider "pager"/],
    [{ CHANNELS: 'discord' }, /CHANNELS names "discord" but DISCORD_QUEUE_URL is not set/],
    [{ CHANNELS: 'slack' }, /CHANNELS names "slack" but SLACK_QUEUE_URL is not set/],
    [{ INGEST_TOKEN: 'short' }, /INGEST_TOKEN: must be at least 16 characters/],
    [{ SQS_ENDPOINT: 'not a url' }, /SQS_ENDPOINT: must be an http\(s\) URL/],
    [{ SLACK_QUEUE_URL: 'ftp://x' }, /SLACK_QUEUE_URL: must be an http\(s\) URL/],
  ])('fails fast on %o naming the variable', async (env, message) => {
    await expect(loadIngestConfig(env)).rejects.toThrow(ConfigError);
    await expect(loadIngestConfig(env)).rejects.toThrow(message);
  });
});

describe('ingest tokens', () => {
  const t1 = 'current-token-0123456789';
  const t2 = 'previous-token-0123456789';
  it('accepts the current and the previous token during a rotation', async () => {
    expect((await loadIngestConfig({ INGEST_TOKEN: t1, INGEST_TOKEN_PREVIOUS: t2 })).tokens).toEqual([
      t1,
      t2,
    ]);
  });
  it('refuses to start a deployed stage without a token', async () => {
    await expect(loadIngestConfig({ STAGE: 'prod' })).rejects.toThrow(
      'INGEST_TOKEN: required in a deployed stage (STAGE=prod)',
    );
    expect((await loadIngestConfig({ STAGE: 'local' })).tokens).toEqual([]);
  });
  it('refuses a previous token without a current one', async () => {
    await expect(loadIngestConfig({ INGEST_TOKEN_PREVIOUS: t2 })).rejects.toThrow(
      /INGEST_TOKEN_PREVIOUS: set INGEST_TOKEN too/,
    );
  });
});

describe('webhook allow-list in a deployed stage', () => {
  const deployed = { STAGE: 'prod', ...QUEUES };
  it('accepts Slack’s own host over https', async () => {
    expect(
      Object.keys(
        (await loadWorkerConfig({ ...deployed, SLACK_WEBHOOK_URL: SECRET_URL }, slack)).destinations,
      ),
    ).toEqual(['slack']);
  });
  it.each([
    [
      'http://hooks.slack.com/services/T/B/SECRETSECRET',
      'SLACK_WEBHOOK_URL: must be https in a deployed stage',
    ],
    [
      'https://evil.example/services/SECRETSECRET',
      'SLACK_WEBHOOK_URL: host evil.example is not an allowed webhook host',
    ],
    ['https://127.0.0.1/SECRETSECRET', 'host 127.0.0.1 is not an allowed'],
  ])('rejects %s naming the variable and host, not the URL', async (url, message) => {
    let m = '';
    try {
      await loadWorkerConfig({ ...deployed, SLACK_WEBHOOK_URL: url }, slack);
    } catch (e) {
      m = (e as Error).message;
    }
    expect(m).toContain(message);
    expect(m).not.toContain('SECRETSECRET');
  });
  it('accepts extra hosts from WEBHOOK_ALLOWED_HOSTS, with *. for subdomains', async () => {
    const env = {
      ...deployed,
      SLACK_WEBHOOK_URL: 'https://a.proxy.example/x',
      WEBHOOK_ALLOWED_HOSTS: 'other.example, *.proxy.example',
    };
    expect((await loadWorkerConfig(env, slack)).destinations.slack?.sender).toBeDefined();
    await expect(loadWorkerConfig({ ...env, WEBHOOK_ALLOWED_HOSTS: 'other.example' }, slack)).rejects.toThrow(
      'host a.proxy.example is not an allowed webhook host',
    );
  });
  it('allows loopback http locally', async () => {
    expect(
      (await loadWorkerConfig({ ...QUEUES, SLACK_WEBHOOK_URL: 'http://127.0.0.1:4000/slack' }, slack))
        .destinations.slack,
    ).toBeDefined();
  });
});

describe('worker config', () => {
  it('reads the webhook URL and queues, with production defaults for timing and retries', async () => {
    const c = await loadWorkerConfig({ SLACK_WEBHOOK_URL: SECRET_URL, ...QUEUES }, slack);
    expect(Object.keys(c.destinations)).toEqual(['slack']);
    expect({ ...c, destinations: undefined }).toEqual({
      destinations: undefined,
      timeoutMs: 10_000,
      queueUrl: QUEUES.SLACK_QUEUE_URL,
      dlqUrl: QUEUES.DLQ_URL,
      retry: { baseSeconds: 2, capSeconds: 900, maxReceiveCount: 1000, windowSeconds: 7200 },
      minIntervalMs: 2000,
      sqs: { region: 'us-east-1', endpoint: undefined },
    });
  });

  it('treats an empty timing variable (`X=` in a shell or .env) as unset, not as an error', async () => {
    const env = { SLACK_WEBHOOK_URL: SECRET_URL, ...QUEUES, MIN_INTERVAL_MS: '', RETRY_WINDOW_SECONDS: '' };
    const c = await loadWorkerConfig(env, slack);
    expect([c.minIntervalMs, c.retry.windowSeconds]).toEqual([2000, 7200]);
    await expect(loadWorkerConfig({ ...env, MIN_INTERVAL_MS: ' x' }, slack)).rejects.toThrow(
      'MIN_INTERVAL_MS',
    );
  });

  it('rejects a DASHBOARD_URL that is not an http(s) URL template', async () => {
    await expect(
      loadWorkerConfig({ SLACK_WEBHOOK_URL: SECRET_URL, ...QUEUES, DASHBOARD_URL: 'grafana/{name}' }, slack),
    ).rejects.toThrow('DASHBOARD_URL: must be an http(s) URL');
  });

  it('needs STATE_TABLE for milestones (the default), naming the destination and the way out', async () => {
    const env = { SLACK_WEBHOOK_URL: SECRET_URL, ...QUEUES, EVENTS: undefined };
    await expect(loadWorkerConfig(env, slack)).rejects.toThrow(
      'STATE_TABLE: is not set, and "slack" sends only milestones, which needs rollout state (set EVENTS=all',
    );
    const stores: string[] = [];
    const c = await loadWorkerConfig({ ...env, STATE_TABLE: 'state' }, slack, (table) => {
      stores.push(table);
      return { get: async () => undefined, put: async () => 1, failing: async () => [] };
    });
    expect(stores).toEqual(['state']);
    expect(c.destinations.slack?.events).toBe('milestones');
    expect((await loadWorkerConfig({ ...env, EVENTS: 'all' }, slack)).destinations.slack?.events).toBe('all');
  });

  it('names each missing queue variable', async () => {
    await expect(loadWorkerConfig({ SLACK_WEBHOOK_URL: SECRET_URL }, slack)).rejects.toThrow(
      /SLACK_QUEUE_URL: .*; DLQ_URL: /,
    );
  });

  it.each([{}, { SLACK_WEBHOOK_URL: '' }])('names SLACK_WEBHOOK_URL when it is missing (%o)', async (env) => {
    await expect(loadWorkerConfig({ ...env, ...QUEUES }, slack)).rejects.toThrow(
      /SLACK_WEBHOOK_URL: is not set/,
    );
  });

  it('rejects a malformed webhook URL without quoting it', async () => {
    const bad = 'hooks.slack.com/services/T000/B000/SECRETSECRET';
    let message = '';
    try {
      await loadWorkerConfig({ SLACK_WEBHOOK_URL: bad, ...QUEUES }, slack);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/SLACK_WEBHOOK_URL: must be a URL/);
    expect(message).not.toContain('SECRETSECRET');
  });

  it.each([
    ['DELIVERY_TIMEOUT_MS', 'abc'],
    ['DELIVERY_TIMEOUT_MS', '5'],
    ['DELIVERY_TIMEOUT_MS', '600000'],
    ['MAX_RECEIVE_COUNT', '0'],
    ['RETRY_BASE_SECONDS', '1.5'],
    ['RETRY_CAP_SECONDS', '99999'],
    ['MIN_INTERVAL_MS', '-1'],
  ])('rejects %s=%s naming the variable and the allowed range', async (name, v) => {
    await expect(
      loadWorkerConfig({ SLACK_WEBHOOK_URL: SECRET_URL, ...QUEUES, [name]: v }, slack),
    ).rejects.toThrow(new RegExp(`${name}: must be a whole number from \\d+ to \\d+`));
  });
});

describe('worker destinations from a routing file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'routing-'));
  const file = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  const good = file(
    'good.yaml',
    'destinations:\n  a: { type: slack, url: "https://hooks.slack.com/a", username: bot-a }\n  b: { type: teams, url: "https://x.logic.azure.com/b" }\n',
  );

  it('loads only its own type’s destinations, each with its options, and needs no SLACK_WEBHOOK_URL', async () => {
    const c = await loadWorkerConfig({ ...QUEUES, CONFIG_FILE: good }, slack);
    expect(Object.keys(c.destinations)).toEqual(['a']);
  });

  it('names the destination whose URL is missing or not allowed', async () => {
    const missing = file('missing.yaml', 'destinations:\n  a: { type: slack }\n');
    await expect(loadWorkerConfig({ ...QUEUES, CONFIG_FILE: missing }, slack)).rejects.toThrow(
      `${missing}: destinations.a.url (line 2): is not set`,
    );
    const elsewhere = file(
      'elsewhere.yaml',
      'destinations:\n  a: { type: slack, url: "https://evil.example/SECRETSECRET" }\n',
    );
    let m = '';
    try {
      await loadWorkerConfig({ ...QUEUES, STAGE: 'prod', CONFIG_FILE: elsewhere }, slack);
    } catch (e) {
      m = (e as Error).message;
    }
    expect(m).toContain('destinations.a.url (line 2): host evil.example is not an allowed webhook host');
    expect(m).not.toContain('SECRET');
  });

  it('fails ingest fast on a bad file, naming the key and line', async () => {
    const bad = file(
      'bad.yaml',
      'destinations:\n  a: { type: slack }\nroutes:\n  - to: [a]\n    continue: yes please\n',
    );
    await expect(loadIngestConfig({ SLACK_QUEUE_URL: 'http://q/s.fifo', CONFIG_FILE: bad })).rejects.toThrow(
      `${bad}: routes.0.continue (line 5)`,
    );
  });

  it('refuses a destination whose type has no queue', async () => {
    await expect(
      loadIngestConfig({ SLACK_QUEUE_URL: 'http://q/s.fifo', CHANNELS: 'slack', CONFIG_FILE: good }),
    ).rejects.toThrow('destination "b" is of type teams, but TEAMS_QUEUE_URL is not set');
  });
});

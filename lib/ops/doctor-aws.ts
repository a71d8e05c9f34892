import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetParametersCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { DoctorDeps } from './doctor';

/**
 * The preflight's AWS calls, with the caller's credentials: Lambda GetFunctionConfiguration,
 * SSM GetParameters (decrypted, 10 names a request as SSM allows), CloudWatch DescribeAlarms.
 * `endpoint` (AWS_ENDPOINT_URL) points them all at a stand-in.
 */
export function doctorDeps(
  region: string,
  env: Record<string, string | undefined>,
): DoctorDeps & { close(): void } {
  const config = {
    region,
    ...(env.AWS_ENDPOINT_URL ? { endpoint: env.AWS_ENDPOINT_URL } : {}),
    ...(env.AWS_ENDPOINT_URL && env.AWS_ACCESS_KEY_ID
      ? {
          credentials: {
            accessKeyId: env.AWS_ACCESS_KEY_ID,
            secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? '',
          },
        }
      : {}),
    maxAttempts: 2,
  };
  const lambda = new LambdaClient(config);
  const ssm = new SSMClient(config);
  const cloudwatch = new CloudWatchClient(config);
  return {
    async functionEnv(name) {
      try {
        const out = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name }));
        return out.Environment?.Variables ?? {};
      } catch (err) {
        if ((err as Error).name === 'ResourceNotFoundException') return undefined;
        throw err;
      }
    },
    async parameters(names) {
      const out: Record<string, string | undefined> = {};
      for (let i = 0; i < names.length; i += 10) {
        const { Parameters = [] } = await ssm.send(
          new GetParametersCommand({ Names: names.slice(i, i + 10), WithDecryption: true }),
        );
        for (const p of Parameters) if (p.Name) out[p.Name] = p.Value;
      }
      return out;
    },
    async alarms(prefix) {
      const out: { name: string; state: string }[] = [];
      let NextToken: string | undefined;
      do {
        const page = await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNamePrefix: prefix, NextToken }));
        for (const a of page.MetricAlarms ?? [])
          out.push({ name: a.AlarmName ?? '', state: a.StateValue ?? '' });
        NextToken = page.NextToken;
      } while (NextToken);
      return out;
    },
    async post(url, body) {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(10_000),
      });
      await res.arrayBuffer();
      return res.status;
    },
    close() {
      lambda.destroy();
      ssm.destroy();
      cloudwatch.destroy();
    },
  };
}

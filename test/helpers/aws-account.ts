import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PackagedStack } from '../../lib/local/packaged/stack';

/**
 * The AWS account a packaged stack is "deployed" in, as an operator's credentials see it:
 * Lambda GetFunctionConfiguration (each function's resolved environment), SSM GetParameters (the
 * stack's stand-in parameters) and CloudWatch DescribeAlarms (the template's alarms, in the state
 * a test sets). For `flagger-notify doctor`.
 */
export async function startAwsAccount(stack: PackagedStack) {
  const alarmStates: Record<string, string> = {};
  const alarms = Object.entries(stack.template.Resources)
    .filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm')
    .map(([id]) => `flagger-notify-test-${id}-1ABCDEF`);
  const server = createServer(async (req, res) => {
    let body = '';
    for await (const c of req) body += c;
    const json = (status: number, value: unknown, type?: string) => {
      res.writeHead(status, {
        'content-type': 'application/json',
        ...(type ? { 'x-amzn-errortype': type } : {}),
      });
      res.end(JSON.stringify(value));
    };
    const fn = /^\/2015-03-31\/functions\/([^/]+)\/configuration$/.exec(req.url ?? '')?.[1];
    if (fn) {
      const f = [...stack.functions.values()].find((x) => x.spec.name === decodeURIComponent(fn));
      if (!f)
        return json(404, { Type: 'User', Message: `Function not found: ${fn}` }, 'ResourceNotFoundException');
      return json(200, { FunctionName: f.spec.name, Environment: { Variables: f.spec.environment } });
    }
    const target = String(req.headers['x-amz-target'] ?? '');
    const input = JSON.parse(body || '{}');
    if (target.startsWith('AmazonSSM.')) {
      const out = stack.ssm.answer(target.split('.')[1] ?? '', input);
      return json(out.status, out.body, out.status >= 400 ? String(out.body.__type) : undefined);
    }
    if (target.endsWith('.DescribeAlarms'))
      return json(200, {
        MetricAlarms: alarms
          .filter((a) => a.startsWith(input.AlarmNamePrefix ?? ''))
          .map((a) => ({ AlarmName: a, StateValue: alarmStates[a] ?? 'OK' })),
      });
    json(400, { __type: 'UnknownOperationException', message: target }, 'UnknownOperationException');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    alarms,
    fire: (alarm: string) => {
      alarmStates[alarm] = 'ALARM';
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

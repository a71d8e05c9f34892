import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';

/**
 * Invokes a deployed function and waits for its answer (the caller's AWS credentials need
 * lambda:InvokeFunction on it). A function error is an error with the function's own message.
 */
export async function invokeFunction(
  functionName: string,
  payload: unknown,
  region: string,
): Promise<unknown> {
  const client = new LambdaClient({ region });
  try {
    const out = await client.send(
      new InvokeCommand({ FunctionName: functionName, Payload: Buffer.from(JSON.stringify(payload)) }),
    );
    const text = Buffer.from(out.Payload ?? []).toString('utf8');
    if (out.FunctionError) {
      const message = (JSON.parse(text || '{}') as { errorMessage?: string }).errorMessage;
      throw new Error(`${functionName} failed: ${message ?? out.FunctionError}`);
    }
    return text ? JSON.parse(text) : undefined;
  } catch (err) {
    const e = err as Error;
    if (e.message.startsWith(functionName)) throw e;
    throw new Error(`cannot invoke ${functionName} in ${region}: ${e.name}`);
  } finally {
    client.destroy();
  }
}

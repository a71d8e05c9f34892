// Powertools keys that say nothing new on a laptop.
const NOISE = new Set([
  'level',
  'message',
  'timestamp',
  'service',
  'sampling_rate',
  'cold_start',
  'function_arn',
  'function_memory_size',
  'function_request_id',
  'xray_trace_id',
]);

/** A Powertools JSON log line as one readable line: `12:00:01.234 INFO  ingest  event queued  canary=…`. */
export function prettyLine(line: string): string {
  let log: Record<string, unknown>;
  try {
    log = JSON.parse(line);
  } catch {
    return line;
  }
  const time = typeof log.timestamp === 'string' ? log.timestamp.slice(11, 23) : '';
  const fields = Object.entries(log)
    .filter(([k]) => !NOISE.has(k) && k !== 'function_name')
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  const fn = typeof log.function_name === 'string' ? `${log.function_name}  ` : '';
  return `${time} ${String(log.level).padEnd(5)} ${fn}${log.message}  ${fields.join(' ')}\n`;
}

/** Rewrites JSON log lines on stdout and stderr as readable lines (npm start; LOG_FORMAT=json keeps JSON). */
export function installPrettyLogs(): void {
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream);
    stream.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
      const text = String(chunk);
      return write(text.startsWith('{"level"') ? prettyLine(text) : chunk, ...rest);
    }) as typeof stream.write;
  }
}

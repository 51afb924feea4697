import { nowMs } from '../clock';
import { settings } from '../config/settings';

/**
 * Structured log lines (one JSON object per line). The Functions host forwards stdout to
 * Application Insights; the local host prints it. Field names that look like secrets are redacted
 * here as a last line of defence — code should not pass secrets to the logger at all.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const SECRET_FIELD = /secret|password|passwd|token|authorization|api[-_]?key|credential|signature|cookie/i;
export const REDACTED = '[redacted]';

export function redact(value: unknown, depth = 0): unknown {
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = SECRET_FIELD.test(k) && v !== undefined && v !== null ? REDACTED : redact(v, depth + 1);
  }
  return out;
}

export type LogSink = (line: string, level: LogLevel) => void;

let sink: LogSink = (line, level) => {
  if (level === 'error' || level === 'warn') process.stderr.write(`${line}\n`);
  else process.stdout.write(`${line}\n`);
};

/** Tests capture every line written during a suite to prove no secret reaches the logs. */
export function setLogSink(next: LogSink): () => void {
  const previous = sink;
  sink = next;
  return () => {
    sink = previous;
  };
}

function minimumLevel(): LogLevel {
  try {
    return settings().LOG_LEVEL;
  } catch {
    return 'info';
  }
}

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

export function createLogger(base: LogFields = {}): Logger {
  const write = (level: LogLevel, message: string, fields?: LogFields) => {
    if (order[level] < order[minimumLevel()]) return;
    const record = redact({ ...base, ...fields }) as LogFields;
    sink(JSON.stringify({ at: new Date(nowMs()).toISOString(), level, msg: message, ...record }), level);
  };
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
    child: (fields) => createLogger({ ...base, ...fields }),
  };
}

export const logger = createLogger();

/** Error details safe to log: name, code and message, never the request that caused it. */
export function errorFields(error: unknown): LogFields {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      errorName: error.name,
      errorMessage: error.message,
      ...(typeof code === 'string' ? { errorCode: code } : {}),
    };
  }
  return { errorMessage: String(error) };
}

/**
 * One structured JSON line per request (Workers observability indexes JSON logs): route, dataset, version,
 * status, model-work and queue-wait ms, and whether the version's sessions were already open. Routes fill in
 * what they know through `requestLog(c.req.raw)`; the app's middleware writes the line when the response is made.
 * Keyed by the Request object (a WeakMap: nothing outlives the request, nothing is shared between requests).
 */
export interface RequestLog {
  dataset?: string;
  version?: string;
  /** the version's sessions were open before this request (false: it paid for opening them) */
  sessions_open?: boolean;
  /** waiting for the scheduler's slot */
  queue_ms?: number;
  /** the model work and encoding, once it had the slot */
  model_ms?: number;
  /** the scheduler's estimate of the request's work (edge/inference/scheduler.ts estimateCost; units ~ ms of CPU) */
  cost?: number;
}

const logs = new WeakMap<Request, RequestLog>();

export function requestLog(request: Request): RequestLog {
  let log = logs.get(request);
  if (!log) {
    log = {};
    logs.set(request, log);
  }
  return log;
}

/**
 * The request's Server-Timing header value (queue wait, model work, the scheduler's cost estimate), or null
 * when it ran no model work. Browsers' developer tools show it; the bench compares the estimate with the
 * CPU it measures.
 */
export function serverTiming(request: Request): string | null {
  const log = logs.get(request);
  if (!log || log.cost === undefined) return null;
  const parts = [];
  if (log.queue_ms !== undefined) parts.push(`queue;dur=${log.queue_ms}`);
  if (log.model_ms !== undefined) parts.push(`model;dur=${log.model_ms}`);
  parts.push(`cost;desc="scheduler estimate in ms of CPU";dur=${log.cost}`);
  return parts.join(', ');
}

export function logLine(request: Request, route: string, status: number, ms: number): string {
  return JSON.stringify({ method: request.method, route, status, ...(logs.get(request) ?? {}), ms });
}

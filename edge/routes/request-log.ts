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

export function logLine(request: Request, route: string, status: number, ms: number): string {
  return JSON.stringify({ method: request.method, route, status, ...(logs.get(request) ?? {}), ms });
}

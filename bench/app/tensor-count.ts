/**
 * A leak detector that sees one leaked tensor: counts the output tensors every session run returns and
 * those disposed since. The edge code disposes every output right after copying it (edge/inference/
 * sampling.ts), so between requests the count of live tensors is exactly 0; a path that forgets one shows
 * as a count that grows with requests, long before it would grow ORT's wasm heap (which only grows once
 * a leak exceeds the heap's free space). Bench-only: installed by bench/worker and bench/node before
 * the models load.
 */
interface Disposable {
  dispose(): void;
}
interface Session {
  run(...args: unknown[]): Promise<Record<string, Disposable>>;
}
interface SessionFactory {
  InferenceSession: { create(...args: never[]): Promise<unknown> };
}

let created = 0;
let disposed = 0;

/** Wraps `create` so every session it makes counts its outputs. Call once, before the first session. */
export function countOutputTensors(ort: SessionFactory): void {
  const factory = ort.InferenceSession as unknown as { create(...args: unknown[]): Promise<Session> };
  const create = factory.create.bind(factory);
  factory.create = async (...args: unknown[]) => {
    const session = await create(...args);
    const run = session.run.bind(session);
    session.run = async (...runArgs: unknown[]) => {
      const outputs = await run(...runArgs);
      for (const tensor of Object.values(outputs)) {
        created++;
        const dispose = tensor.dispose.bind(tensor);
        let done = false;
        tensor.dispose = () => {
          if (!done) disposed++;
          done = true;
          dispose();
        };
      }
      return outputs;
    };
    return session;
  };
}

/** Output tensors returned by session runs and not disposed yet. */
export function liveTensors(): number {
  return created - disposed;
}

/** Output tensors returned so far (to show the counter saw the traffic). */
export function tensorsCreated(): number {
  return created;
}

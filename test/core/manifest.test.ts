/**
 * core/manifest.ts's schema: it accepts the committed models/manifest.json and a minimal manifest written
 * here, fills the weights default, and refuses each value the schema rules out (one fault per case).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { manifestSchema } from '../../core/manifest';

function minimal(): Record<string, any> {
  return {
    schema_version: 1,
    run_id: 'run-1',
    created_at: '2026-11-28T00:00:00Z',
    dataset: 'MNIST',
    seed: 7,
    quick: false,
    models: {
      decoder: {
        file: 'decoder.onnx',
        role: 'decoder',
        sha256: 'ab'.repeat(32),
        bytes: 1,
        inputs: [{ name: 'latent', shape: [-1, 16], dtype: 'float32' }],
        outputs: [{ name: 'image', shape: [-1, 784], dtype: 'float32' }],
        opset: 17,
        ir_version: 8,
      },
    },
    metrics: { any: { nested: [1, 'x'] } },
  };
}

describe('manifest schema', () => {
  it('accepts the committed models/manifest.json', () => {
    const json = JSON.parse(readFileSync(join(process.cwd(), 'models', 'manifest.json'), 'utf8'));
    expect(manifestSchema.safeParse(json).success).toBe(true);
  });

  it('accepts a minimal manifest without quality_gate, filling weights with float32; keeps float16 and a gate', () => {
    const parsed = manifestSchema.parse(minimal());
    expect(parsed.models.decoder.weights).toBe('float32');
    expect(parsed.quality_gate).toBeUndefined();
    expect(parsed.metrics).toEqual({ any: { nested: [1, 'x'] } });
    const m = minimal();
    m.models.decoder.weights = 'float16';
    m.quality_gate = { passed: false, forced: true, floors: 30, misses: ['x misses'] };
    const withGate = manifestSchema.parse(m);
    expect(withGate.models.decoder.weights).toBe('float16');
    expect(withGate.quality_gate).toEqual({ passed: false, forced: true, floors: 30, misses: ['x misses'] });
  });

  it.each<[string, (m: Record<string, any>) => void]>([
    ['schema_version 2', (m) => (m.schema_version = 2)],
    ['run_id a number', (m) => (m.run_id = 1)],
    ['created_at missing', (m) => delete m.created_at],
    ['dataset missing', (m) => delete m.dataset],
    ['seed 1.5', (m) => (m.seed = 1.5)],
    ['quick "yes"', (m) => (m.quick = 'yes')],
    ['metrics a string', (m) => (m.metrics = 'none')],
    ['models an array', (m) => (m.models = [])],
    ['a file name a number', (m) => (m.models.decoder.file = 3)],
    ['a role missing', (m) => delete m.models.decoder.role],
    ['a sha256 in capitals', (m) => (m.models.decoder.sha256 = 'AB'.repeat(32))],
    ['a sha256 of 63 digits', (m) => (m.models.decoder.sha256 = 'a'.repeat(63))],
    ['a sha256 of 65 digits', (m) => (m.models.decoder.sha256 = 'a'.repeat(65))],
    ['a sha256 with a prefix', (m) => (m.models.decoder.sha256 = `x${'a'.repeat(64)}`)],
    ['a sha256 with a suffix', (m) => (m.models.decoder.sha256 = `${'a'.repeat(64)}x`)],
    ['a sha256 with a g', (m) => (m.models.decoder.sha256 = `g${'a'.repeat(63)}`)],
    ['bytes 0', (m) => (m.models.decoder.bytes = 0)],
    ['bytes 1.5', (m) => (m.models.decoder.bytes = 1.5)],
    ['opset 17.5', (m) => (m.models.decoder.opset = 17.5)],
    ['ir_version missing', (m) => delete m.models.decoder.ir_version],
    ['weights int8', (m) => (m.models.decoder.weights = 'int8')],
    ['inputs not an array', (m) => (m.models.decoder.inputs = {})],
    ['an output dtype float16', (m) => (m.models.decoder.outputs[0].dtype = 'float16')],
    ['a shape with 1.5', (m) => (m.models.decoder.inputs[0].shape = [-1, 1.5])],
    ['a tensor name missing', (m) => delete m.models.decoder.inputs[0].name],
    ['quality_gate.passed "yes"', (m) => (m.quality_gate = { passed: 'yes', forced: false, floors: 1, misses: [] })],
    ['quality_gate.forced missing', (m) => (m.quality_gate = { passed: true, floors: 1, misses: [] })],
    ['quality_gate.floors 1.5', (m) => (m.quality_gate = { passed: true, forced: false, floors: 1.5, misses: [] })],
    ['quality_gate.misses of numbers', (m) => (m.quality_gate = { passed: true, forced: false, floors: 1, misses: [1] })],
  ])('refuses %s', (_, fault) => {
    const m = minimal();
    expect(manifestSchema.safeParse(m).success).toBe(true);
    fault(m);
    expect(manifestSchema.safeParse(m).success).toBe(false);
  });
});

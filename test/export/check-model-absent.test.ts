/**
 * check-model.ts when the checker is not installed: LATENT_DIGITS_CHECK_MODEL points at a path that does not
 * exist (read when the module is imported), so the check reports "absent" with how to install it, never a pass.
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import { CHECK_MODEL, checkModel, checkModelAvailable } from '../../training/export/check-model';

const savedCheckerEnv = vi.hoisted(() => {
  const saved = process.env.LATENT_DIGITS_CHECK_MODEL;
  process.env.LATENT_DIGITS_CHECK_MODEL = '/nonexistent/latent-digits-check-model';
  return saved;
});
afterAll(() => {
  if (savedCheckerEnv === undefined) delete process.env.LATENT_DIGITS_CHECK_MODEL;
  else process.env.LATENT_DIGITS_CHECK_MODEL = savedCheckerEnv;
});

describe('check-model absent', () => {
  it('is not available, and checking a file reports absent with the path and the install hint', async () => {
    expect(CHECK_MODEL).toBe('/nonexistent/latent-digits-check-model');
    expect(await checkModelAvailable()).toBe(false);
    expect(await checkModel('/any/file.onnx')).toEqual({
      status: 'absent',
      reason: '/nonexistent/latent-digits-check-model (or /usr/bin/python3) not found; install it with `apt-get install -y python3-onnx`',
    });
  });
});

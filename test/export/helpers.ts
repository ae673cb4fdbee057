/** Shared by the export tests: the tfjs backend and the check-model gate that must not pass silently. */
import { selectBackend } from '../../training/backend';
import { checkModel, CHECK_MODEL, CHECK_MODEL_INSTALL_HINT } from '../../training/export/check-model';

/** The wasm backend (XNNPACK matmuls) keeps the 2048-row float16 checks fast; cpu is the fallback. */
export async function useTestBackend(): Promise<void> {
  await selectBackend('wasm').catch(() => selectBackend('cpu'));
}

/** check-model must have run and passed; an absent checker fails the test with how to install it. */
export async function expectCheckModelPasses(file: string): Promise<void> {
  const result = await checkModel(file);
  if (result.status === 'absent') throw new Error(`${CHECK_MODEL} is not installed, so ${file} was NOT checked; ${CHECK_MODEL_INSTALL_HINT}`);
}

/** Shared by the export tests: the tfjs backend and the check-model gate that must not pass silently. */
import { selectBackend } from '../../training/backend';
import { checkModel, CHECK_MODEL, CHECK_MODEL_INSTALL_HINT } from '../../training/export/check-model';

export async function useCpuBackend(): Promise<void> {
  await selectBackend('cpu');
}

/** check-model must have run and passed; an absent checker fails the test with how to install it. */
export async function expectCheckModelPasses(file: string): Promise<void> {
  const result = await checkModel(file);
  if (result.status === 'absent') throw new Error(`${CHECK_MODEL} is not installed, so ${file} was NOT checked; ${CHECK_MODEL_INSTALL_HINT}`);
}

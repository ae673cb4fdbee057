/**
 * Runs the ONNX project's own checker (Debian python3-onnx's /usr/bin/check-model) on a file. Its
 * absence is reported as such, never as a pass.
 */
import { execFile } from 'node:child_process';
import { access } from 'node:fs/promises';
import { promisify } from 'node:util';

/** LATENT_DIGITS_CHECK_MODEL points elsewhere (the tests point it at nothing to see the absent path). */
export const CHECK_MODEL = process.env.LATENT_DIGITS_CHECK_MODEL ?? '/usr/bin/check-model';
/** The system python: a pyenv python on PATH does not see Debian's onnx module. */
const PYTHON = '/usr/bin/python3';
export const CHECK_MODEL_INSTALL_HINT = 'install it with `apt-get install -y python3-onnx`';

export type CheckModelResult = { status: 'passed' } | { status: 'absent'; reason: string };

export async function checkModelAvailable(): Promise<boolean> {
  try {
    await access(CHECK_MODEL);
    await access(PYTHON);
    return true;
  } catch {
    return false;
  }
}

/** Resolves `passed` or `absent`; rejects with the checker's message when the model is invalid. */
export async function checkModel(file: string): Promise<CheckModelResult> {
  if (!(await checkModelAvailable())) {
    return { status: 'absent', reason: `${CHECK_MODEL} (or ${PYTHON}) not found; ${CHECK_MODEL_INSTALL_HINT}` };
  }
  try {
    await promisify(execFile)(PYTHON, [CHECK_MODEL, file], { timeout: 60_000 });
    return { status: 'passed' };
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    const detail = (e.stderr || e.message).trim().split('\n').slice(-3).join(' | ');
    throw new Error(`check-model rejected ${file}: ${detail}`);
  }
}

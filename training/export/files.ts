/** File helpers for staging and publishing: content hashes and moves that work across filesystems. */
import { createHash } from 'node:crypto';
import { copyFile, readFile, rename, unlink } from 'node:fs/promises';

export async function sha256File(file: string): Promise<string> {
  return createHash('sha256').update(await readFile(file)).digest('hex');
}

/** rename(), or copy + unlink when source and target are on different filesystems (EXDEV). */
export async function moveFile(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    await copyFile(from, `${to}.tmp`);
    await rename(`${to}.tmp`, to);
    await unlink(from);
  }
}

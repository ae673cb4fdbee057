// `node --import tsx --import ./bench/node/register.mjs ...`: installs ./runtime-hooks.mjs (after tsx, so it resolves first).
import { register } from 'node:module';

register('./runtime-hooks.mjs', import.meta.url);

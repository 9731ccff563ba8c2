import { test } from 'vitest';
import { testEnv } from '../helpers/context.js';
import { Readable } from 'node:stream';
test('dbg', async () => {
  const { ctx, cleanup } = await testEnv('sqlite');
  console.log('start', ctx.blobs.kind, ctx.blobs.location);
  const t = setTimeout(() => console.log('still waiting'), 3000);
  const info = await ctx.blobs.put(Buffer.from('hi'));
  console.log('put buf ok', info);
  clearTimeout(t);
  await cleanup();
}, 10000);

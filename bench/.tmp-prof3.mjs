import fs from 'node:fs'; import path from 'node:path'; import os from 'node:os'; import { randomBytes } from 'node:crypto';
const { walkFiles } = await import('../dist/pipelines/cache/walk.js');
const { StateDb } = await import('../dist/pipelines/cache/state.js');
const { hashWorkspace, stepCacheKey, dirDigest } = await import('../dist/pipelines/cache/index.js');
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'prof-'));
const old = Date.now()/1000 - 3600;
for (let i = 0; i < 10000; i++) { const sub = path.join(root, 'data', `d${Math.floor(i/100)}`); if (i%100===0) fs.mkdirSync(sub, {recursive:true}); const f = path.join(sub, `f${i}.bin`); fs.writeFileSync(f, randomBytes(300)); fs.utimesSync(f, old, old); }
const statePath = path.join(root, '.keel/state.db');
await hashWorkspace(root, ['data/'], { statePath });
const acc = {};
const T = async (name, fn) => { const c = process.cpuUsage(); const r = await fn(); const u = process.cpuUsage(c); (acc[name] ??= []).push((u.user+u.system)/1000); return r; };
for (let k = 0; k < 9; k++) {
  await T('walk', () => walkFiles(path.join(root, 'data'), 'data', () => false));
  const st = await T('open', () => StateDb.open(statePath));
  await T('within', () => st.within(path.join(root, 'data')));
  st.close();
  const w = await T('hashWorkspace total', () => hashWorkspace(root, ['data/'], { statePath }));
  await T('dirDigest', () => dirDigest(w.manifest, 'data/'));
  await T('key', () => stepCacheKey({ pipeline: 'b', step: 's', definition: { cmd: ['x'] }, params: {}, inputs: w.manifest }));
}
for (const [k, v] of Object.entries(acc)) console.log(k.padEnd(22), v.sort((a,b)=>a-b)[v.length>>1].toFixed(1));
fs.rmSync(root, { recursive: true });

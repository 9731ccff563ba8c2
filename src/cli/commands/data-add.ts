import fs from 'node:fs';
import type { Command } from 'commander';
import { storageConfigFrom } from '../../core/config.js';
import { HashCache } from '../../data/hashing/index.js';
import { edgesOf, prepareVersion } from '../../data/ingest.js';
import { KeelApiError } from '../../sdk/index.js';
import { withKeel } from '../connect.js';
import { fmtBytes, printJson } from '../output.js';
import { type Progress, progressBar } from '../progress.js';

interface AddOptions {
  name: string;
  message?: string;
  schema?: string;
  delimiter?: string;
  strict?: boolean;
  json?: boolean;
}

/** A bar created on the first progress report, when the total is known. */
function lazyBar(label: string, unit: 'bytes' | 'rows') {
  let bar: Progress | undefined;
  return {
    update: (done: number, total: number) => {
      bar ??= progressBar(label, total, { unit });
      bar.update(done);
    },
    stop: () => bar?.stop(),
  };
}

/**
 * `keel data add <paths…> --name loans`: profile and hash locally, upload only the blobs the
 * store lacks, then record the version. Everything that can fail on bad input fails before
 * the first upload; if recording fails anyway, this command's own uploads are deleted again.
 */
export async function run(paths: string[], opts: AddOptions, cmd: Command): Promise<void> {
  const g = cmd.optsWithGlobals<{ dataDir?: string }>();
  // The hash cache is local state of this machine, kept in the local data dir even with --url.
  const cache = await HashCache.forDataDir(storageConfigFrom({ dataDir: g.dataDir }, process.env).dataDir);
  await withKeel(cmd, async ({ keel }) => {
    const previous = await keel.datasets.get(opts.name).catch((e: unknown) => {
      if (e instanceof KeelApiError && e.code === 'RESOURCE_DOES_NOT_EXIST') return undefined;
      throw e;
    });
    const hashing = lazyBar('hashing', 'bytes');
    let rowsBar: Progress | undefined;
    let prepared: Awaited<ReturnType<typeof prepareVersion>>;
    try {
      const edges = edgesOf(previous?.profile ?? null);
      prepared = await prepareVersion(paths, {
        cache,
        schemaFile: opts.schema,
        delimiter: opts.delimiter,
        strict: opts.strict ?? false,
        ...(edges ? { edges } : {}),
        onHashProgress: hashing.update,
        onRows: (n) => {
          rowsBar ??= progressBar('profiling', 0, { unit: 'rows' });
          rowsBar.update(n);
        },
      });
    } finally {
      hashing.stop();
      rowsBar?.stop();
    }

    const missing = [];
    for (const f of prepared.files) if (!(await keel.datasets.hasBlob(f.sha256))) missing.push(f);
    const uploaded: string[] = [];
    const upload = progressBar(
      'uploading',
      missing.reduce((s, f) => s + f.size, 0),
      { unit: 'bytes' },
    );
    let result: Awaited<ReturnType<typeof keel.datasets.createVersion>>;
    try {
      let done = 0;
      for (const f of missing) {
        await keel.datasets.uploadBlob(f.sha256, fs.createReadStream(f.absPath));
        uploaded.push(f.sha256);
        done += f.size;
        upload.update(done);
      }
      upload.stop();
      result = await keel.datasets.createVersion({
        name: opts.name,
        files: prepared.files.map(({ path, size, sha256 }) => ({ path, size, sha256 })),
        rows: prepared.rows,
        badRows: prepared.badRows,
        schema: prepared.schema,
        profile: prepared.profile,
        message: opts.message,
      });
    } catch (e) {
      upload.stop();
      // Leave no blob referenced by nothing: remove what this command uploaded (best effort).
      for (const sha of uploaded) await keel.datasets.deleteBlob(sha).catch(() => undefined);
      throw e;
    }
    const v = result.version;
    if (opts.json) return printJson({ ...result, badRowSamples: prepared.bad.slice(0, 20) });
    process.stdout.write(
      result.created
        ? `${v.ref} created: ${v.fileCount} file(s), ${fmtBytes(v.bytes)}, ${v.rows} rows (${missing.length} new blob(s) stored)\n`
        : `unchanged: identical content is already ${v.ref} (nothing stored)\n`,
    );
    if (prepared.badRows > 0) {
      process.stderr.write(
        `${prepared.badRows} malformed row(s) skipped and counted in the profile (use --strict to reject), e.g.:\n`,
      );
      for (const b of prepared.bad.slice(0, 5)) process.stderr.write(`  ${b.file}:${b.line}: ${b.reason}\n`);
    }
  });
}

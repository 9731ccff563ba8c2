import type { Command } from 'commander';
import { storageConfigFrom } from '../../core/config.js';
import { HashCache } from '../../data/hashing/index.js';
import { prepareDatasetVersion, storeDatasetVersion } from '../../pipelines/steps/builtins/add-version.js';
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
    const hashing = lazyBar('hashing', 'bytes');
    let rowsBar: Progress | undefined;
    let prepared: Awaited<ReturnType<typeof prepareDatasetVersion>>;
    try {
      prepared = await prepareDatasetVersion(keel, paths, {
        name: opts.name,
        cache,
        schemaFile: opts.schema,
        delimiter: opts.delimiter,
        strict: opts.strict ?? false,
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
    const result = await storeDatasetVersion(keel, opts.name, prepared, {
      message: opts.message,
      progress: (label, total, unit) => progressBar(label, total, { unit }),
    });
    const v = result.version;
    const { uploaded: _uploaded, ...json } = result;
    if (opts.json) return printJson({ ...json, badRowSamples: prepared.bad.slice(0, 20) });
    process.stdout.write(
      result.created
        ? `${v.ref} created: ${v.fileCount} file(s), ${fmtBytes(v.bytes)}, ${v.rows} rows (${result.uploaded} new blob(s) stored)\n`
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

import fs from 'node:fs/promises';
import path from 'node:path';

/** What a cached hash was computed from: the file is unchanged while these still match. */
export interface FileStamp {
  inode: number;
  size: number;
  mtimeMs: number;
}

/** A cached hash with the stamp it was computed from (the JSON value under an absolute path). */
export interface HashCacheEntry extends FileStamp {
  sha256: string;
}

interface CacheFile {
  version: 1;
  entries: Record<string, HashCacheEntry>;
}

/** Where a data dir keeps its hash cache. */
export const hashCachePath = (dataDir: string): string => path.join(dataDir, 'cache', 'hashes.json');

/**
 * Remembers file hashes by absolute path with the inode, size and mtime they were computed from,
 * so an unchanged file is never read again. A file rewritten within one mtime tick with the same
 * size would be missed (as in git and rsync); `hashFiles` narrows that by caching only files whose
 * stamp did not move while they were hashed. It is a cache: a missing or corrupt file starts empty.
 */
export class HashCache {
  private dirty = false;

  private constructor(
    readonly file: string,
    private readonly entries: Map<string, HashCacheEntry>,
  ) {}

  /** Loads the cache at `file` (empty when absent or unreadable). */
  static async load(file: string): Promise<HashCache> {
    const entries = new Map<string, HashCacheEntry>();
    try {
      const doc = JSON.parse(await fs.readFile(file, 'utf8')) as CacheFile;
      if (doc.version === 1 && doc.entries && typeof doc.entries === 'object')
        for (const [k, v] of Object.entries(doc.entries)) if (isEntry(v)) entries.set(k, v);
    } catch {
      // Absent or damaged: rebuilding costs one hashing pass, refusing to run would cost more.
    }
    return new HashCache(file, entries);
  }

  /** Loads `<dataDir>/cache/hashes.json`. */
  static forDataDir(dataDir: string): Promise<HashCache> {
    return HashCache.load(hashCachePath(dataDir));
  }

  /** The cached sha256 of `absPath` if its stamp still matches. */
  lookup(absPath: string, stamp: FileStamp): string | undefined {
    const e = this.entries.get(absPath);
    return e && e.inode === stamp.inode && e.size === stamp.size && e.mtimeMs === stamp.mtimeMs
      ? e.sha256
      : undefined;
  }

  /** Records `sha256` for `absPath` as of `stamp`. */
  store(absPath: string, stamp: FileStamp, sha256: string): void {
    this.entries.set(absPath, { inode: stamp.inode, size: stamp.size, mtimeMs: stamp.mtimeMs, sha256 });
    this.dirty = true;
  }

  /** Forgets `absPath`. */
  delete(absPath: string): void {
    if (this.entries.delete(absPath)) this.dirty = true;
  }

  /** Number of cached files. */
  get size(): number {
    return this.entries.size;
  }

  /** Writes the cache if it changed: to a temp file then renamed, so a crash never leaves half a file. */
  async save(): Promise<void> {
    if (!this.dirty) return;
    await fs.mkdir(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    const doc: CacheFile = { version: 1, entries: Object.fromEntries(this.entries) };
    await fs.writeFile(tmp, JSON.stringify(doc));
    await fs.rename(tmp, this.file);
    this.dirty = false;
  }
}

function isEntry(v: unknown): v is HashCacheEntry {
  const e = v as HashCacheEntry;
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof e.inode === 'number' &&
    typeof e.size === 'number' &&
    typeof e.mtimeMs === 'number' &&
    typeof e.sha256 === 'string'
  );
}

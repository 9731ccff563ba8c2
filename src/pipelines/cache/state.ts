/**
 * The state cache (DVC's state DB): a small SQLite file that remembers each workspace file's
 * sha256 with the (size, mtime in ns, inode) it had when hashed, so an unchanged file is never read
 * again. It is a cache: an unreadable file is replaced by an empty one.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

/**
 * What a file looked like when it had this hash: [size, mtime ns, inode, sha256], bigints as
 * decimal text. A tuple, as read (raw rows): a warm run reads one per file and allocates nothing else.
 */
export type FileState = readonly [size: number, mtimeNs: string, inode: string, sha256: string];

type Row = [path: string, ...FileState];

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime_ns TEXT NOT NULL,
    inode TEXT NOT NULL,
    sha256 TEXT NOT NULL
  ) WITHOUT ROWID`;
const COLUMNS = 'path, size, mtime_ns, inode, sha256';

function openDb(file: string): Database.Database {
  const db = new Database(file);
  try {
    // Several processes (CLI, workers) may hash one workspace at once: readers beside one writer.
    // WAL is a property of the file; asking first avoids taking a write lock on every open.
    if (db.pragma('journal_mode', { simple: true }) !== 'wal') db.pragma('journal_mode = WAL');
    db.pragma('busy_timeout = 5000');
    db.pragma('synchronous = NORMAL');
    db.exec(SCHEMA);
    return db;
  } catch (e) {
    db.close();
    throw e;
  }
}

export class StateDb {
  private readonly one: Database.Statement<[string], Row>;
  private readonly under: Database.Statement<[string, string], Row>;
  private readonly upsert: Database.Statement<Row>;
  private readonly remove: Database.Statement<[string]>;

  private constructor(private readonly db: Database.Database) {
    this.one = db.prepare<[string], Row>(`SELECT ${COLUMNS} FROM files WHERE path = ?`).raw();
    this.under = db
      .prepare<[string, string], Row>(`SELECT ${COLUMNS} FROM files WHERE path >= ? AND path < ?`)
      .raw();
    this.upsert = db.prepare<Row>(
      `INSERT INTO files (${COLUMNS}) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (path) DO UPDATE SET size = excluded.size, mtime_ns = excluded.mtime_ns,
         inode = excluded.inode, sha256 = excluded.sha256`,
    );
    this.remove = db.prepare('DELETE FROM files WHERE path = ?');
  }

  /** Opens (creating) the state file; a damaged one is deleted and started afresh. */
  static open(file: string): StateDb {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    try {
      return new StateDb(openDb(file));
    } catch (e) {
      const code = (e as { code?: string }).code ?? '';
      if (!code.startsWith('SQLITE_NOTADB') && !code.startsWith('SQLITE_CORRUPT')) throw e;
      for (const f of [file, `${file}-wal`, `${file}-shm`]) fs.rmSync(f, { force: true });
      return new StateDb(openDb(file));
    }
  }

  /** The remembered state of one file (absolute path). */
  get(absPath: string): FileState | undefined {
    const r = this.one.get(absPath);
    return r && [r[1], r[2], r[3], r[4]];
  }

  /** Every remembered file under a directory (absolute path), in one range scan; rows are `[path, ...state]`. */
  within(absDir: string): Map<string, Row> {
    const out = new Map<string, Row>();
    // '0' is the character after '/': [dir/, dir0) holds exactly the paths inside dir.
    for (const r of this.under.all(`${absDir}/`, `${absDir}0`)) out.set(r[0], r);
    return out;
  }

  /** Records new hashes and forgets files that are gone, in one transaction. */
  save(rows: Iterable<readonly [string, FileState]>, forget: Iterable<string> = []): void {
    this.db.transaction(() => {
      for (const [p, s] of rows) this.upsert.run(p, ...s);
      for (const p of forget) this.remove.run(p);
    })();
  }

  close(): void {
    this.db.close();
  }
}

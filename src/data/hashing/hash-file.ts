import { createHash, type Hash } from 'node:crypto';
import fs from 'node:fs';
import type { FileStamp } from './cache.js';

/** A file's content hash and the number of bytes hashed. */
export interface FileHash {
  sha256: string;
  size: number;
}

/** A hash with the file's stamp taken (fstat) once its last byte was read. */
export interface HashedFile extends FileHash {
  stamp: FileStamp;
}

/** Read size: large reads keep syscall and per-chunk overhead far below the hashing cost. */
export const CHUNK = 4 * 2 ** 20;

const stampOf = (st: fs.Stats): FileStamp => ({ inode: st.ino, size: st.size, mtimeMs: st.mtimeMs });

/**
 * Hashes files through reusable buffers. One instance hashes one file at a time (the buffers are
 * shared across calls). `onBytes(n)` is told the bytes hashed so far after each chunk.
 */
export class FileHasher {
  private readonly bufs: [Buffer, Buffer] = [Buffer.allocUnsafe(CHUNK), Buffer.allocUnsafe(CHUNK)];

  /**
   * Asynchronous, for the main thread: the next read runs on libuv's thread pool while this thread
   * hashes the previous chunk, so I/O and hashing overlap on one big file.
   */
  async hash(file: string, onBytes?: (bytes: number) => void): Promise<HashedFile> {
    const fh = await fs.promises.open(file, 'r');
    try {
      const hash = createHash('sha256');
      let pos = 0;
      let which = 0;
      let pending = fh.read(this.bufs[0], 0, CHUNK, 0);
      for (;;) {
        const { bytesRead, buffer } = await pending;
        if (bytesRead === 0) break;
        pos += bytesRead;
        which ^= 1;
        pending = fh.read(this.bufs[which as 0 | 1], 0, CHUNK, pos);
        hash.update(buffer.subarray(0, bytesRead));
        onBytes?.(pos);
      }
      return done(hash, pos, await fh.stat());
    } finally {
      await fh.close();
    }
  }

  /**
   * Blocking, for worker threads: each async fs call would hop through libuv's pool (4 threads
   * shared by the whole process), which costs more than hashing a small file.
   */
  hashSync(file: string, onBytes?: (bytes: number) => void): HashedFile {
    const fd = fs.openSync(file, 'r');
    try {
      const hash = createHash('sha256');
      const buf = this.bufs[0];
      let pos = 0;
      for (;;) {
        const n = fs.readSync(fd, buf, 0, CHUNK, pos);
        if (n === 0) break;
        pos += n;
        hash.update(buf.subarray(0, n));
        onBytes?.(pos);
      }
      return done(hash, pos, fs.fstatSync(fd));
    } finally {
      fs.closeSync(fd);
    }
  }
}

const done = (hash: Hash, size: number, st: fs.Stats): HashedFile => ({
  sha256: hash.digest('hex'),
  size,
  stamp: stampOf(st),
});

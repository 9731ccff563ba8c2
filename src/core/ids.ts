import { createHash, randomBytes, randomUUID } from 'node:crypto';

/** A 32-hex-character id, the shape MLflow uses for run ids. */
export const newRunId = (): string => randomUUID().replaceAll('-', '');

/**
 * A numeric-string experiment id that sorts by creation time across replicas without a shared
 * sequence: milliseconds since epoch followed by 5 random digits (MLflow ids are numeric strings).
 */
export const newExperimentId = (nowMs: number): string =>
  `${nowMs}${String(randomBytes(4).readUInt32BE(0) % 100000).padStart(5, '0')}`;

export const newId = (): string => randomUUID();

export const sha256Hex = (data: string | Uint8Array): string =>
  createHash('sha256').update(data).digest('hex');
